"""Driving the app with the pilot: type, then wait until what was typed has its results."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.text import Text

from textual.widgets import Static


DATA = Path(__file__).parent / "data"  # a fixed subset of data/: three cases
SIZE = (100, 30)
TODAY = date(2025, 3, 14)


async def settle(pilot) -> None:
    """Run a pending debounced search now and let every worker (model, search, build) finish.

    The debounce's delay is not waited out: the search it would start is started at once,
    as its timer would (sleeping the delay and a margin cost 0.2 s a search, and the margin
    was a guess under load). test_tui_search.py's test of the debounce itself waits for the
    timer."""
    for screen in pilot.app.screen_stack:
        timer = getattr(screen, "_debounce", None)
        if timer is not None and timer._task is not None and not timer._task.done():
            timer.stop()
            screen.search_now()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def search(pilot, text: str) -> None:
    """Type `text` into the search box (focused at start) and wait for the results."""
    await pilot.app.workers.wait_for_complete()
    await pilot.press(*text)
    await settle(pilot)


def plain(widget) -> str:
    """The text a widget shows, without styles (tables rendered wide, not wrapped)."""
    content = widget.content if isinstance(widget, Static) else widget.render()
    if isinstance(content, Text):
        return content.plain
    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()
