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
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import KB, fresh_db, memory_mb, percentile  # noqa: E402
from kb import config  # noqa: E402

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
    """A command (`kb` on `db` unless told) running in a pseudo-terminal, its screen output
    read as plain text."""

    def __init__(self, db: Path | None = None, *, command: list[str] | None = None,
                 cwd: Path | None = None, env: dict[str, str] | None = None):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        env = {**(os.environ if env is None else env), "TERM": "xterm-256color",
               "COLORTERM": "truecolor", **({config.DB_ENV: str(db)} if db else {})}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command or [KB], cwd=cwd, stdin=slave, stdout=slave,
                                        stderr=slave, env=env, close_fds=True,
                                        start_new_session=True)
        os.close(slave)
        self.text = ""

    def wait_for(self, needle: str, *, after: int = 0, timeout: float = TIMEOUT) -> float:
        """Seconds since launch until `needle` is on screen (in output from `after` on)."""
        deadline = time.perf_counter() + timeout
        while needle not in self.text[after:]:
            if self.process.poll() is not None:
                self._read()
                if needle not in self.text[after:]:
                    raise RuntimeError(f"exited ({self.process.returncode}) before {needle!r}; "
                                       f"last output: {self.text[-600:]!r}")
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
                "peak RSS (MB)": memory_mb(terminal.process.pid, "VmHWM")}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of kb to take medians over")
    parser.add_argument("--passages", type=int, default=0, help="synthetic passages to add")
    parser.add_argument("--queries", type=int, default=len(QUERIES), help="pilot searches")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        db = fresh_db(Path(tmp), args.passages)
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
        ms = [v * 1000 for v in latencies]
        print(f"  per search, debounce fired → results drawn (pilot, {len(ms)} queries): "
              f"median {statistics.median(ms):.1f} ms, p90 {percentile(ms, 0.9):.1f} ms, "
              f"worst {max(ms):.1f} ms")


if __name__ == "__main__":
    main()
