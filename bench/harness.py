"""What the benchmark scripts share, so that each measures the same way: the `kb` they
launch, the questions they search with, the database they measure on, warm search timing,
a child process's peak memory, and percentiles."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.synthetic import pad_with_passages
from ingest.build import build
from kb import config
from bench.evaluate import load_queries, query_files
from kb.search import MODES, Filters, SearchEngine

# The `kb` command beside this interpreter: launched the way a user launches it.
KB = str(Path(sys.executable).with_name("kb"))


def questions() -> list[str]:
    """The public retrieval test questions, as text to search with."""
    return [q.q for q in load_queries(query_files())]


def fresh_db(work: Path, passages: int = 0) -> Path:
    """data/ built into `work` (quick: the project database's vectors are reused when there
    is one), padded with `passages` synthetic passages if asked."""
    db = work / "lessons.db"
    if config.default_db().exists():
        shutil.copy(config.default_db(), db)
    build(db, config.data_dir())
    return pad_with_passages(db, work / "padded.db", passages) if passages else db


def warm_search_ms(engine, queries: list[str], *, modes=MODES,
                   filters: Filters = Filters()) -> dict[str, float]:
    """Median milliseconds per query of each mode, on an engine already warmed up."""
    medians = {}
    for mode in modes:
        times = []
        for q in queries:
            started = time.perf_counter()
            engine.search(q, mode=mode, limit=10, filters=filters)
            times.append(time.perf_counter() - started)
        medians[mode] = statistics.median(times) * 1000
    return medians


def print_warm_search(db: Path, embedder, queries: list[str], note: str = "") -> None:
    """Median milliseconds per query of each mode, on one engine already warmed up."""
    engine = SearchEngine(db, embedder=embedder)
    engine.search("warm up", mode="hybrid")
    for mode, ms in warm_search_ms(engine, queries).items():
        print(f"{mode:9} {ms:7.1f} ms{note}")


# Runs its arguments and prints their wall seconds and peak RSS (KiB). A child's ru_maxrss
# counts the memory of the process it was forked from, which a benchmark holding a model
# and a padded database would swell: so `kb` is started from this small parent instead.
_LAUNCHER = ("import resource, subprocess, sys, time; started = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - started, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def run_kb(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one fresh `kb` process."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, KB, *args], check=True,
                         capture_output=True, text=True).stdout
    wall, peak_kib = out.split()
    return float(wall), int(peak_kib) / 1024


def memory_mb(pid: int, field: str) -> float:
    """A running process's memory from /proc, in MB: VmRSS (now) or VmHWM (its peak)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank value at `fraction` (0.9, 0.95) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
