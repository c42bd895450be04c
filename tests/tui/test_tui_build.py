"""Starting without a usable database: the offer to build it, the build, and its failures."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import ProgressBar

from tui.screens.build import BuildScreen
from tui.screens.search import SearchScreen
from tui.widgets.record_table import RecordTable
from tui_pilot import DATA, SIZE, plain, search, settle

pytestmark = pytest.mark.asyncio


@pytest.mark.slow  # embeds a database from nothing
async def test_no_database_offers_to_build_it_then_searches(make_app, tmp_path):
    db = tmp_path / "lessons.db"
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BuildScreen)
        assert f"No database at {db}" in plain(screen.query_one("#problem"))
        bar = screen.query_one(ProgressBar)
        assert not bar.display
        await pilot.press("ctrl+b", "l", "e")  # nothing to browse yet: no crash, no screen
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("b")
        await settle(pilot)
        assert db.exists() and isinstance(app.screen, SearchScreen)
        # The bar followed the embedding: 38 records (3 cases, 16 lessons, 19 facts), then
        # the records' words (kb/neighbours.py).
        assert bar.total == bar.progress > 38
        assert app.screen_stack[-1] is app.search_screen and len(app.screen_stack) == 2
        await search(pilot, "VAT")
        assert app.screen.query_one(RecordTable).rows_shown[0].id == "uc-vat-llp-unfunded"


async def test_a_broken_database_is_offered_a_rebuild(make_app, tmp_path):
    db = tmp_path / "lessons.db"
    db.write_bytes(b"this is not a database" * 100)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)
        assert "is not a lessons database" in plain(app.screen.query_one("#problem"))


async def test_a_failed_build_says_why_and_can_be_retried(make_app, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    case_file = data / "cases" / "dudley.yaml"
    case_file.write_text(case_file.read_text().replace("stage: procurement", "stage: shopping", 1))
    db = tmp_path / "lessons.db"
    app = make_app(db)
    app.data_dir = data
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.click("#build")
        await settle(pilot)
        status = plain(screen.query_one("#build-status"))
        assert "The build failed" in status and "dudley.yaml, line" in status
        assert "stage: expected a stage" in status and "got 'shopping'" in status
        assert screen.query_one("#build-status").has_class("error")
        assert not db.exists() and app.screen is screen
        assert screen.query_one("#buttons").display and not screen.building
