"""Retrieval quality of each search mode on the query sets in tests/queries/.

    .venv/bin/python bench/retrieval.py [--db PATH] [QUERY_FILE ...]

Prints hit@1, hit@3 and MRR@10 per mode, per query style, and the misses of hybrid (not
for the held-out sets: their questions are not for reading by whoever tunes).
By default it reads the public query sets (tests/queries/*.yaml) and, separately, the
held-out sets (tests/queries/holdout/), which were written by someone who never saw the
search code and were not used to tune anything, and the lay tune questions
(tests/queries/lay/tune.yaml)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb import config  # noqa: E402
from bench.evaluate import (HOLDOUT_DIR, LAY_TUNE, hit_at, load_queries, mrr, query_files,  # noqa: E402
                            score)
from kb.search import MODES, open_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=config.default_db())
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    engine = open_engine(args.db)
    sets = {"given": args.files} if args.files else {
        "public": query_files(), "lay tune": [LAY_TUNE],
        **{f"held-out {path.stem}": [path] for path in query_files(HOLDOUT_DIR)}}
    for name, files in sets.items():
        print(f"\n## {name} query set")
        report(engine, load_queries(files), misses=not name.startswith("held-out"))


def report(engine, queries, misses: bool = True) -> None:
    """The figures per mode and style; with `misses`, hybrid's misses too (never for a
    held-out set, whose questions nobody tuning should read)."""
    print(f"{len(queries)} queries")
    print(f"{'mode':10} {'style':11} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'MRR@10':>7}")
    scored = {mode: score(engine, queries, mode) for mode in MODES}
    for mode, scores in scored.items():
        styles = sorted({s.query.style for s in scores})
        for style in ["all", *styles]:
            part = [s for s in scores if style == "all" or s.query.style == style]
            print(f"{mode:10} {style:11} {len(part):4} {hit_at(part, 1):6.3f} "
                  f"{hit_at(part, 3):6.3f} {mrr(part):7.3f}")
    if not misses:
        return
    print("\nhybrid misses (rank > 3):")
    for s in (s for s in scored["hybrid"] if not s.rank or s.rank > 3):
        print(f"  {s.rank or '-':>3}  [{s.query.style}] {s.query.q}  → {', '.join(sorted(s.query.answers))}")


if __name__ == "__main__":
    main()
