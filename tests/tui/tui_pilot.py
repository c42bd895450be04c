"""Driving the app with the pilot: type, then wait until what was typed has its results."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.text import Text

from textual.widgets import Static

from tui.screens.search import DEBOUNCE

DATA = Path(__file__).parent / "data"  # a fixed subset of data/: three cases
SIZE = (100, 30)
TODAY = date(2025, 3, 14)


async def settle(pilot) -> None:
    """Let a pending debounce fire and every worker (model, search, build) finish."""
    await pilot.pause(DEBOUNCE + 0.05)
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
