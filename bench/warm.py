"""Warm search per query, per mode, on the project's database: the core's latency figure
(≤ 15 ms warm hybrid at the records' size), quick to take before and after a change.

    .venv/bin/python bench/warm.py [--db PATH] [--queries 40] [--rounds 3] [--tree DIR]

Prints each round's median milliseconds per query (the first public questions, on one engine
warmed up by one search), then the median of the rounds. `--tree DIR` measures the `kb` of
another checkout with the same model and database (a git worktree of the commit before a
change, say): run the two in turn, several times, and compare medians taken in the same
few minutes, as the machine's load changes by the minute.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="hybrid", help="comma-separated: hybrid,semantic,keyword")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout whose kb to measure (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))

    from bench.harness import questions, warm_search_ms
    from kb import config
    from kb.embeddings import load_embedder
    from kb.search import SearchEngine

    engine = SearchEngine(args.db or config.default_db(), embedder=load_embedder())
    engine.search("warm up", mode="hybrid")
    queries = questions()[:args.queries]
    modes = tuple(args.modes.split(","))
    rounds = [warm_search_ms(engine, queries, modes=modes) for _ in range(args.rounds)]
    for mode in modes:
        each = [r[mode] for r in rounds]
        print(f"{args.tree.name:12} {mode:9} rounds {' '.join(f'{ms:5.1f}' for ms in each)} ms;"
              f" median {statistics.median(each):5.1f} ms per query ({len(queries)} questions)")


if __name__ == "__main__":
    main()
