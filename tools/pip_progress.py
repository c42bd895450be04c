"""`pip install` for `make setup`, with one line of progress instead of pip's log.

    .venv/bin/python tools/pip_progress.py ARGS…      (ARGS as for pip install)

pip's own output is either a log of several hundred lines (`Collecting`, `Using cached`,
`Requirement already satisfied`…) or, with --quiet, nothing for a minute or more while it
unpacks. This shows what pip is doing on one line, rewritten in place on a terminal
(a line per step otherwise): the packages as they are resolved, then the installation
with the seconds it has taken, then one line saying what was installed and how long it
took. pip's warnings and errors are printed as they come, each kind once (with how often
pip repeated it); if pip fails, its whole log is printed and its exit code returned. Standard library only: it runs before anything is
installed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

# A package resolved: by name, or as a file (its name before the version).
COLLECTING = re.compile(r"^(?:(?:Collecting|Requirement already satisfied:|Obtaining)\s+"
                        r"([^\s(<>=!~;\[]+)|Processing\s+\S*?([^/\s]+?)-\d\S*)")
INSTALLING = re.compile(r"^Installing collected packages: (.*)")
INSTALLED = re.compile(r"^Successfully installed (.*)")
LOUD = re.compile(r"^\s*(?:WARNING|ERROR|DEPRECATION)\b")


class Status:
    """One line of status: rewritten in place on a terminal, else printed per step."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.width = 0
        self.lock = threading.Lock()

    def show(self, text: str, *, step: bool = False) -> None:
        with self.lock:
            if self.tty:
                sys.stdout.write("\r" + text.ljust(self.width)[:max(self.width, len(text))])
                self.width = len(text)
            elif step:
                sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def line(self, text: str) -> None:
        """A line that stays: the status is cleared first."""
        with self.lock:
            if self.tty and self.width:
                sys.stdout.write("\r" + " " * self.width + "\r")
                self.width = 0
            sys.stdout.write(text + "\n")
            sys.stdout.flush()


def main(args: list[str]) -> int:
    started = time.perf_counter()
    status = Status()
    pip = subprocess.Popen([sys.executable, "-m", "pip", "install", "--progress-bar", "off",
                            *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, bufsize=1)
    log: list[str] = []
    resolved = 0
    installing: list[str] = []
    warnings: dict[str, int] = {}
    done = threading.Event()

    def tick() -> None:  # pip is silent while it unpacks: show that time passes
        while not done.wait(1.0):
            if installing:
                status.show(f"  installing {len(installing)} packages… "
                            f"{time.perf_counter() - started:.0f} s")

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    for raw in pip.stdout:
        log.append(raw.rstrip())
        line = raw.strip()
        if match := COLLECTING.match(line):
            resolved += 1
            status.show(f"  resolving [{resolved}] {match.group(1) or match.group(2)}",
                        step=resolved == 1)
        elif match := INSTALLING.match(line):
            installing = [name.strip() for name in match.group(1).split(",")]
            status.show(f"  installing {len(installing)} packages… "
                        f"{time.perf_counter() - started:.0f} s", step=True)
        elif LOUD.match(line):
            kind = re.sub(r"'[^']*'", "'…'", line)  # one line per kind of warning
            if kind not in warnings:
                status.line(line)
            warnings[kind] = warnings.get(kind, 0) + 1
    code = pip.wait()
    done.set()
    ticker.join()
    seconds = time.perf_counter() - started
    if code:
        status.line("\n".join(log))
        status.line(f"pip install failed (exit code {code}) after {seconds:.0f} s: see above.")
        return code
    for kind, times in warnings.items():
        if times > 1:
            status.line(f"  (pip said that {times} times in all: {kind})")
    installed = next((INSTALLED.match(line) for line in reversed(log)
                      if INSTALLED.match(line)), None)
    count = len(installed.group(1).split()) if installed else 0
    status.line(f"  installed {count} package{'s' * (count != 1)} "
                f"({resolved} resolved) in {seconds:.0f} s" if count
                else f"  nothing to install ({resolved} already there), {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
