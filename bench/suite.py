"""How long the test suite takes: `make check` (the quick run) and `make test` (everything),
each run as its Makefile target runs it, with wall time, CPU time (pytest and every process
it started) and the load average before and after, then the tests that cost most.

    .venv/bin/python bench/suite.py                 # make check's run, once
    .venv/bin/python bench/suite.py --suite test    # make test's run
    .venv/bin/python bench/suite.py --compare "-n 0" --runs 3   # against one process, alternating

The machine is shared: compare runs made back to back (`--compare` alternates the two
invocations, so both see the same load), and prefer the CPU seconds, which a busy machine
changes far less than the wall time. Each test's figures come from bench/test_times.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def makefile_args(suite: str) -> list[str]:
    """The pytest arguments of `make SUITE`, as make expands them (`make -n`)."""
    dry = subprocess.run(["make", "-n", "--no-print-directory", suite], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    for line in dry.splitlines():
        if " -m pytest" in line:
            return shlex.split(line.split(" -m pytest", 1)[1])
    raise SystemExit(f"`make -n {suite}` runs no pytest")


def run(args: list[str], times_file: Path) -> dict:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "bench.test_times", *args],
                            cwd=ROOT, env={**os.environ, "LESSONS_TEST_TIMES": str(times_file)},
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], sep="\n")
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "load": (load, os.getloadavg()[0]), "summary": summary, "ok": result.returncode == 0,
            "tests": json.loads(times_file.read_text()) if times_file.exists() else {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=["check", "test"], default="check")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--compare", metavar="ARGS",
                        help="also run with these pytest arguments added, alternating runs")
    parser.add_argument("--slowest", type=int, default=25)
    options = parser.parse_args()
    base = makefile_args(options.suite)
    variants = {"make " + options.suite: base}
    if options.compare:
        variants[f"with {options.compare}"] = base + shlex.split(options.compare)
    results: dict[str, list[dict]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(options.runs):
            for name, args in variants.items():
                print(f"run {n + 1}/{options.runs}: {name}: pytest {shlex.join(args)}", flush=True)
                r = run(args, Path(tmp) / f"times-{len(results[name])}-{abs(hash(name))}.json")
                results[name].append(r)
                print(f"  {r['wall']:.0f} s wall, {r['cpu']:.0f} s CPU, load {r['load'][0]:.1f}"
                      f" → {r['load'][1]:.1f}: {r['summary']}", flush=True)
    for name, runs in results.items():
        print(f"\n{name}: median of {len(runs)}: "
              f"{statistics.median(r['wall'] for r in runs):.0f} s wall, "
              f"{statistics.median(r['cpu'] for r in runs):.0f} s CPU"
              + ("" if all(r["ok"] for r in runs) else "  (SOME RUNS FAILED)"))
    if options.compare and options.runs:
        a, b = (results[name] for name in variants)
        ratios = [y["wall"] / x["wall"] for x, y in zip(a, b)]
        print(f"wall ratio (second / first), run by run: {', '.join(f'{r:.2f}' for r in ratios)}")
    last = next(iter(results.values()))[-1]["tests"]
    files: dict[str, float] = {}
    for nodeid, t in last.items():
        files[nodeid.split("::")[0]] = files.get(nodeid.split("::")[0], 0.0) + t["cpu"]
    print(f"\nthe last `{next(iter(variants))}` run's tests cost {sum(files.values()):.0f} CPU s "
          "between them (the rest is starting the processes and collecting); by file:")
    for name, cpu in sorted(files.items(), key=lambda kv: -kv[1])[:options.slowest]:
        print(f"  {cpu:6.1f} s CPU  {name}")
    print(f"\nslowest tests of the last `{next(iter(variants))}` run, by CPU seconds "
          "(setup, call and teardown):")
    for nodeid, t in sorted(last.items(), key=lambda kv: -kv[1]["cpu"])[:options.slowest]:
        print(f"  {t['cpu']:6.1f} s CPU {t['wall']:6.1f} s wall  {nodeid}")


if __name__ == "__main__":
    main()
