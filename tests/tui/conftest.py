"""Fixtures for the TUI tests: a database built once from the small fixed data set in
tests/tui/data (never the changing data/), and apps over it that share one loaded model.

Apps get a clock that always reads 0, so the "… ms" in the status line is the same in
every run and snapshots stay byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import _wait

from tests.conftest import cached_build
from tui_pilot import DATA, TODAY

# The pilot waits for the app to go idle after every key and pause by sleeping in steps of
# this many seconds (1/50 in Textual) until the process's CPU time stops moving: at 5 ms a
# typed query settles four times sooner, and the idle test is unchanged (Textual reads the
# step at each wait). tests/tui took 117 s of wall time for 71 CPU s in one process at 1/50.
_wait.SLEEP_GRANULARITY = 0.005


@pytest.fixture(scope="session")
def tui_db(pytestconfig, tmp_path_factory) -> Path:
    """tests/tui/data built once and kept in pytest's cache (tests/conftest.py)."""
    return cached_build(pytestconfig, tmp_path_factory, DATA, "tui-db")


@pytest.fixture
def make_app(tui_db, embedder):
    """LessonsApp over the fixture database; keyword arguments override the defaults."""
    from tui.app import LessonsApp

    def make(db_path: Path | None = None, **overrides) -> LessonsApp:
        options = dict(embedder_loader=lambda: embedder, clock=lambda: 0.0, today=lambda: TODAY)
        options.update(overrides)
        return LessonsApp(db_path or tui_db, DATA, **options)

    return make
