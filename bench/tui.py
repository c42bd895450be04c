"""Figures for the terminal UI (issue: instant lesson lookup in a planning meeting).

    .venv/bin/python bench/tui.py [--runs 5] [--passages 0] [--queries 20]

Launches the real `kb` (no arguments, the way a user starts it) in a pseudo-terminal of
100×30 and prints medians over the runs of:
- first frame: from starting the process to the search screen being on the terminal;
- semantic ready: from starting the process to the status line saying the model is loaded;
- a first search typed into that terminal: last keystroke to the result count on screen
  (the 150 ms debounce included);
- peak memory (VmHWM) of the process after that search.
Then, in process with the pilot, the per-search latency from the debounce firing to the
results drawn (median, 90th percentile, worst) over a set of meeting queries.

Works on a temporary copy of the database (data/ built into it); never touches
data/lessons.db. `--passages N` pads the copy with N synthetic passages to see the cost of a
large ingested library."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import pad_with_passages  # noqa: E402
from ingest.build import build  # noqa: E402
from kb import config  # noqa: E402

KB = str(ROOT / ".venv" / "bin" / "kb")
COLUMNS, ROWS = 100, 30
TIMEOUT = 30.0
QUERIES = [
    "GP engagement", "VAT risk of an LLP", "procurement capacity", "public consultation",
    "conflicts of interest", "financial risk sharing", "optimism bias in savings",
    "alliance contract", "workforce and GP retirement", "scope of services",
    "council and scrutiny committee", "contract length", "governance board",
    "outcomes-based payment", "data sharing", "estates and premises", "clinical leadership",
    "bid evaluation", "market engagement", "termination of the contract",
]
# Escape sequences: CSI (with private and intermediate bytes), OSC, and two-byte escapes.
ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal:
    """`kb` running in a pseudo-terminal, its screen output read as plain text."""

    def __init__(self, db: Path):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
               config.DB_ENV: str(db)}
        self.started = time.perf_counter()
        self.process = subprocess.Popen([KB], stdin=slave, stdout=slave, stderr=slave, env=env,
                                        close_fds=True, start_new_session=True)
        os.close(slave)
        self.text = ""

    def wait_for(self, needle: str, *, after: int = 0) -> float:
        """Seconds since launch until `needle` is on screen (in output from `after` on)."""
        deadline = time.perf_counter() + TIMEOUT
        while needle not in self.text[after:]:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{needle!r} never appeared; last output: {self.text[-300:]!r}")
            self._read()
        return time.perf_counter() - self.started

    def _read(self) -> None:
        ready, _, _ = select.select([self.master], [], [], 0.01)
        if ready:
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:  # the process has gone and closed its end
                return
            self.text += ANSI.sub(b"", chunk).decode("utf-8", "replace")

    def type(self, keys: str) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            time.sleep(0.03)  # a fast typist

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def quit(self) -> None:
        """ctrl+c, reading what the app still writes so that it never blocks on the pty."""
        os.write(self.master, b"\x03")
        deadline = time.perf_counter() + TIMEOUT
        while self.process.poll() is None and time.perf_counter() < deadline:
            self._read()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def launch(db: Path) -> dict[str, float]:
    terminal = Terminal(db)
    try:
        first = terminal.wait_for("Search lessons")
        semantic = terminal.wait_for("semantic ready")
        mark = len(terminal.text)
        terminal.type("GP engagement")
        typed = time.perf_counter()
        terminal.wait_for("results · hybrid", after=mark)
        search = time.perf_counter() - typed
        return {"first frame": first, "semantic ready": semantic,
                "first search: last key → results on screen (150 ms debounce)": search,
                "peak RSS (MB)": terminal.peak_rss_mb()}
    finally:
        terminal.quit()


async def pilot_latencies(db: Path, queries: list[str]) -> list[float]:
    """Debounce fired → results drawn, for each query typed with the pilot."""
    from tui.app import LessonsApp

    app = LessonsApp(db)
    latencies = []
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        await app.workers.wait_for_complete()  # the model
        screen = app.search_screen
        for query in queries:
            await pilot.press("ctrl+u", *query)
            while True:
                await pilot.pause(0.005)
                results = screen.query_one("#status").results
                if (screen.drawn_generation and results is not None and results.query == query
                        and not screen.workers):
                    break
            latencies.append(screen.latency)
            await pilot.pause(0.05)
    return latencies


def prepare_db(work: Path, passages: int) -> Path:
    db = work / "lessons.db"
    if config.default_db().exists():
        shutil.copy(config.default_db(), db)  # its vectors are reused: a quick build
    build(db, config.data_dir())
    if passages:
        db = pad_with_passages(db, work / "padded.db", passages)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of kb to take medians over")
    parser.add_argument("--passages", type=int, default=0, help="synthetic passages to add")
    parser.add_argument("--queries", type=int, default=len(QUERIES), help="pilot searches")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        db = prepare_db(Path(tmp), args.passages)
        print(f"kb TUI at {COLUMNS}×{ROWS} on {db.stat().st_size / 1e6:.1f} MB of database"
              + (f" ({args.passages} synthetic passages)" if args.passages else "")
              + f"; medians over {args.runs} launches")
        runs = [launch(db) for _ in range(args.runs)]
        for name in runs[0]:
            values = [run[name] for run in runs]
            median = statistics.median(values)
            shown = f"{median:7.1f} MB" if "MB" in name else f"{median * 1000:7.0f} ms"
            print(f"  {name:<62} {shown}   (max {max(values):.3g})")
        queries = (QUERIES * (args.queries // len(QUERIES) + 1))[:args.queries]
        latencies = asyncio.run(pilot_latencies(db, queries))
        ms = sorted(v * 1000 for v in latencies)
        p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
        print(f"  per search, debounce fired → results drawn (pilot, {len(ms)} queries): "
              f"median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms, worst {ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()
