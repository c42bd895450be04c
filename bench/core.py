"""Figures for the core (issue: build, embed, hybrid search, one CLI).

    .venv/bin/python bench/core.py [--passages 100000] [--runs 5]

Prints medians: warm search per query by mode (real data, and padded with synthetic
passages), cold `kb search` wall time and peak memory, an unchanged `kb build`, and a
full build's embedding throughput against the model's raw batch throughput in the same run.
Works on temporary copies; never touches data/lessons.db."""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import pad_with_passages  # noqa: E402
from ingest.build import build  # noqa: E402
from kb import config  # noqa: E402
from kb.embeddings import load_embedder  # noqa: E402
from kb.evaluate import load_queries  # noqa: E402
from kb.search import MODES, SearchEngine  # noqa: E402

KB = [str(ROOT / ".venv" / "bin" / "kb")]


def median_ms(values) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


def warm(db: Path, embedder, queries: list[str]) -> dict[str, list[float]]:
    engine = SearchEngine(db, embedder=embedder)
    engine.search("warm up", mode="hybrid")
    times = {}
    for mode in MODES:
        times[mode] = []
        for q in queries:
            started = time.perf_counter()
            engine.search(q, mode=mode, limit=10)
            times[mode].append(time.perf_counter() - started)
    return times


def cold(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and peak RSS (MB) of fresh `kb` processes."""
    walls, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run([*KB, *args], check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024)
    return walls, peaks


def peak_of_one(args: list[str]) -> float:
    """Peak RSS of one process, measured by a fresh parent so earlier children don't count."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *KB, *args], check=True,
                         capture_output=True, text=True).stdout
    return int(out) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    queries = [q.q for q in load_queries(sorted((ROOT / "tests" / "queries").glob("*.yaml")))][:40]
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
    walls, _ = cold(["build", "--db", str(db)], args.runs)
    print(f"median {median_ms(walls)}")

    print(f"\n== warm search, {len(queries)} queries, median per query ==")
    times = warm(db, embedder, queries)
    for mode in MODES:
        print(f"{mode:9} {median_ms(times[mode])}   (real data)")
    padded = pad_with_passages(db, work / "padded.db", args.passages)
    times = warm(padded, embedder, queries)
    for mode in MODES:
        print(f"{mode:9} {median_ms(times[mode])}   (+{args.passages:,} synthetic passages)")

    started = time.perf_counter()
    subprocess.run([*KB, "search", "--json", "--db", str(db), *queries], check=True,
                   capture_output=True)
    print(f"one `kb search --json` with {len(queries)} queries: "
          f"{(time.perf_counter() - started) * 1000:.0f} ms wall in all")

    print("\n== cold kb search (new process each run) ==")
    for mode in ("hybrid", "semantic", "keyword"):
        walls, _ = cold(["search", "--db", str(db), "--mode", mode, "VAT risk of LLP"], args.runs)
        peak = peak_of_one(["search", "--db", str(db), "--mode", mode, "VAT risk of LLP"])
        print(f"{mode:9} median {median_ms(walls)} wall, peak RSS {peak:5.0f} MB")
    print(json.dumps({"work_dir": str(work)}))


if __name__ == "__main__":
    main()
