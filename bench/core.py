"""Figures for the core (issue: build, embed, hybrid search, one CLI).

    .venv/bin/python bench/core.py [--passages 100000] [--runs 5]

Prints medians: warm search per query by mode (real data, and padded with synthetic
passages), cold `kb search` wall time and peak memory, an unchanged `kb build`, and a
full build's embedding throughput against the model's raw batch throughput in the same run.
Works on temporary copies; never touches data/lessons.db."""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import print_warm_search, questions, run_kb  # noqa: E402
from bench.synthetic import pad_with_passages  # noqa: E402
from ingest.build import build  # noqa: E402
from kb import config  # noqa: E402
from kb.embeddings import load_embedder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    queries = questions()[:40]
    work = Path(tempfile.mkdtemp(prefix="lessons-bench-"))
    db = work / "lessons.db"

    print("== full build: embedding throughput against the raw model ==")
    # Alternate raw runs and builds so both see the same machine load; each uses a fresh
    # model session, as a build does. Medians of `runs` each.
    raw, in_build = [], []
    for n in range(args.runs):
        target = work / f"full-{n}.db"
        report = build(target, config.data_dir(), force=True)
        in_build.append(report.embed.embedded / report.embed.seconds)
        texts = [t for (t,) in sqlite3.connect(target).execute("select text from items")]
        embedder = load_embedder()
        started = time.perf_counter()
        embedder.encode(texts)
        raw.append(len(texts) / (time.perf_counter() - started))
        target.replace(db)
    raw_rate, build_rate = statistics.median(raw), statistics.median(in_build)
    print(f"last build: {report.summary()}")
    print(f"raw model: {raw_rate:6.1f} texts/s; in build: {build_rate:6.1f} texts/s "
          f"({build_rate / raw_rate * 100:.0f}% of raw)")

    print("\n== kb build with nothing changed (new process) ==")
    walls = [run_kb(["build", "--db", str(db)])[0] for _ in range(args.runs)]
    print(f"median {statistics.median(walls) * 1000:7.1f} ms")

    print(f"\n== warm search, {len(queries)} queries, median per query ==")
    print_warm_search(db, embedder, queries, "   (real data)")
    padded = pad_with_passages(db, work / "padded.db", args.passages)
    print_warm_search(padded, embedder, queries, f"   (+{args.passages:,} synthetic passages)")

    wall, _ = run_kb(["search", "--json", "--db", str(db), *queries])
    print(f"one `kb search --json` with {len(queries)} queries: {wall * 1000:.0f} ms wall in all")

    print("\n== cold kb search (new process each run) ==")
    for mode in ("hybrid", "semantic", "keyword"):
        walls, peaks = zip(*(run_kb(["search", "--db", str(db), "--mode", mode, "VAT risk of LLP"])
                             for _ in range(args.runs)))
        print(f"{mode:9} median {statistics.median(walls) * 1000:7.1f} ms wall, "
              f"peak RSS {statistics.median(peaks):5.0f} MB")
    print(json.dumps({"work_dir": str(work)}))


if __name__ == "__main__":
    main()
