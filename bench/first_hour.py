"""The first hour's figure: a fresh clone to a usable terminal UI with `make run`.

    .venv/bin/python bench/first_hour.py [--keep]

Clones this checkout's committed HEAD into a temporary folder and runs `make run` there in
a pseudo-terminal of 100×30, the way a new user does: a fresh .venv installed from pip's
local cache (warm: nothing is downloaded), the model's optimised copy made anew (an empty
$LESSONS_CACHE), the database built, the TUI opened. Prints the seconds from `make run` to
the end of set-up, to the end of the build, and to the TUI's search screen on the terminal
(then it sends ctrl+c), the .venv's size, and any line set-up and build printed that looks
alarming (warnings, deprecations, errors, licence notices). The issue's targets: ≤ 90 s on a quiet
machine, .venv ≤ 500 MB.

The machine is shared, so the figure is only meaningful beside its load: the load average
is printed before and after, and the raw model rate (records embedded per second by the
packaged model in this checkout's .venv, a median of three) is measured before and after in
the same run, so a figure taken under load can be compared with one taken quietly.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tui import Terminal  # noqa: E402
from kb.casefiles import read_corpus  # noqa: E402
from kb import config  # noqa: E402
from kb.embeddings import load_embedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 1800.0
RATE_TEXTS = 64
LOG = Path(tempfile.gettempdir()) / "lessons-first-hour.log"
ALARMING = ("warning", "deprecat", "error", "traceback", "license", "licence")


def model_rate(texts: list[str]) -> float:
    """Texts embedded per second by the packaged model (median of three passes over the
    first RATE_TEXTS lessons)."""
    texts = texts[:RATE_TEXTS]
    embedder = load_embedder()
    embedder.encode(texts[:8])
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        embedder.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def record_texts() -> list[str]:
    corpus = read_corpus(config.data_dir())
    return [f"{lesson.title}. {lesson.lesson} {lesson.recommendation}"
            for case in corpus.cases for lesson in case.lessons]


def size_mb(path: Path) -> float:
    return sum(p.lstat().st_size for p in path.rglob("*")) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()
    texts = record_texts()
    load_before = os.getloadavg()
    rate_before = model_rate(texts)
    work = Path(tempfile.mkdtemp(prefix="lessons-first-hour-"))
    clone = work / "lessons"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", config.DB_ENV, "LESSONS_DATA", "LESSONS_MODEL")}
    env.update(LESSONS_CACHE=str(work / "cache"), PATH=os.pathsep.join(
        d for d in env["PATH"].split(os.pathsep) if "/.venv/" not in d + "/"))
    try:
        terminal = Terminal(command=["make", "run"], cwd=clone, env=env)
        setup = terminal.wait_for("Set up.", timeout=TIMEOUT)
        mark = len(terminal.text)
        built = terminal.wait_for("kb tui", after=mark, timeout=TIMEOUT)  # make echoes it
        first_frame = terminal.wait_for("Search lessons", after=mark, timeout=TIMEOUT)
        transcript = terminal.text
        terminal.quit()
        venv = size_mb(clone / ".venv")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rate_after = model_rate(texts)
    load_after = os.getloadavg()
    LOG.write_text(transcript)
    setup_and_build = transcript[:transcript.find("kb tui", transcript.find("Set up."))]
    printed = [line.strip() for line in re.split(r"[\r\n]+", setup_and_build) if line.strip()]
    alarming = [line for line in printed if any(word in line.lower() for word in ALARMING)]
    print(f"fresh clone to TUI with `make run`: {first_frame:.0f} s "
          f"(set-up {setup:.0f} s, build {built - setup:.0f} s, TUI {first_frame - built:.1f} s)")
    print(f".venv: {venv:.0f} MB")
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{v:.1f}' for v in load_before)}; "
          f"after: {', '.join(f'{v:.1f}' for v in load_after)}")
    print(f"raw model rate ({RATE_TEXTS} lessons, packaged int8 model): "
          f"{rate_before:.0f}/s before, {rate_after:.0f}/s after")
    print(f"alarming lines printed by set-up and build: {len(alarming)} "
          f"(everything printed: {LOG})")
    for line in alarming:
        print(f"  ! {line}")
    if args.keep:
        print(f"clone kept at {clone}")


if __name__ == "__main__":
    main()
