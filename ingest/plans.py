"""A plan to check, read as `kb ingest` reads documents: the same readers, the same
checks (empty, too large, unknown type, encrypted, damaged) and the same passages with
their locators, each split into sentences for kb/check.py. Nothing is stored.

Used by `kb check`, the TUI's review screen and the browser's /-/check page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

from ingest.passages import split
from ingest.readers import MB, Unreadable, check, format_of, read
from ingest.text import humanise, sentences
from kb.check import Plan, PlanPassage
from kb.errors import KbError

STDIN = "-"
PASTED_FORMAT = "markdown"  # stdin and pasted text: Markdown headings become sections


class PlanUnreadable(KbError):
    """A plan that cannot be checked, named with the reason, in one sentence."""


def read_plan(path: str | Path, *, max_bytes: int, stdin: BinaryIO | None = None) -> Plan:
    """The plan at `path` (or "-" for standard input) as passages, or PlanUnreadable."""
    name = str(path)
    try:
        if name == STDIN:
            data = (stdin or sys.stdin.buffer).read(max_bytes + 1)
            return plan_from_bytes(data, "standard input", PASTED_FORMAT, max_bytes=max_bytes)
        path = Path(path)
        if not path.is_file():
            raise Unreadable("no such file" if not path.exists() else "not a file")
        fmt = check(path, max_bytes)
        return _plan(path.read_bytes(), fmt, name, humanise(path.stem))
    except Unreadable as exc:
        raise PlanUnreadable(f"Cannot check {name}: {exc}.") from None
    except OSError as exc:
        raise PlanUnreadable(f"Cannot check {name}: {exc.strerror or exc}.") from None


def plan_from_bytes(data: bytes, name: str, fmt: str, *, max_bytes: int) -> Plan:
    """A plan from bytes already in memory (stdin, a paste, an upload), or PlanUnreadable."""
    try:
        if not data.strip():
            raise Unreadable("it is empty")
        if len(data) > max_bytes:
            raise Unreadable(f"it is larger than the limit of {max_bytes / MB:g} MB")
        return _plan(data, fmt, name, humanise(Path(name).stem) if "." in name else name)
    except Unreadable as exc:
        raise PlanUnreadable(f"Cannot check {name}: {exc}.") from None


def format_for(name: str) -> str:
    """The reader for an uploaded file's name, or PlanUnreadable."""
    try:
        return format_of(Path(name))
    except Unreadable as exc:
        raise PlanUnreadable(f"Cannot check {name}: {exc}.") from None


def _plan(data: bytes, fmt: str, name: str, fallback_title: str) -> Plan:
    extracted = read(fmt, data)
    passages = split(extracted)
    if not passages:
        hint = ": a scanned PDF needs text recognition (OCR) first" if fmt == "pdf" else ""
        raise Unreadable(f"no text found{hint}")
    return Plan(title=extracted.title or fallback_title, path=name, passages=[
        PlanPassage(locator=p.locator, text=p.text,
                    sentences=tuple(s for line in p.text.split("\n") for s in sentences(line)))
        for p in passages])
