"""Where the keys go: back from a filter list, up from the results, a shortlist key pressed
twice before the screen shows the first, and what the marks and passage rows say."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import Markdown, Select

from tui.screens.help import HELP
from tui.widgets.filters import FilterPanel
from tui.widgets.record_table import RecordTable
from tui.widgets.search import SearchBox
from tui_pilot import DATA, SIZE, search, settle

pytestmark = pytest.mark.asyncio


async def test_choosing_a_filter_returns_to_the_results(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "engagement")
        await pilot.press("down", "c", "down", "enter")  # choose the first case: Dudley
        await settle(pilot)
        table = app.screen.query_one(RecordTable)
        select = app.screen.query_one(FilterPanel).query_one("#case", Select)
        assert select.value == "dudley" and not select.expanded
        assert app.focused is table
        await pilot.press("down")  # moves in the results; the list stays closed
        await pilot.pause()
        assert not select.expanded and app.focused is table and table.cursor_row == 1


async def test_up_from_the_first_result_returns_to_the_search_box(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        await pilot.press("down", "down")
        table = app.screen.query_one(RecordTable)
        assert app.focused is table and table.cursor_row == 1
        await pilot.press("up")
        assert app.focused is table and table.cursor_row == 0
        await pilot.press("up")
        assert app.focused is app.screen.query_one(SearchBox)


async def test_a_second_press_before_the_redraw_does_not_undo_the_first(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        await pilot.press("down")
        table = app.screen.query_one(RecordTable)
        lesson = table.current.id
        # Two presses handled before the screen repaints (as on a slow, busy machine).
        table.action_toggle_shortlist()
        table.action_toggle_shortlist()
        await settle(pilot)
        assert lesson in app.shortlist
        await pilot.press("space")  # a press once the ★ is shown takes it out
        await settle(pilot)
        assert lesson not in app.shortlist


async def test_the_outcome_marks_are_explained_in_the_header_and_the_help(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        legend = "▲ went well  ▼ went wrong  ■ guidance"
        assert app.screen.sub_title == legend
        assert legend in HELP
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.query_one(Markdown)  # the help screen is open


@pytest.fixture
def db_with_a_document(tui_db, tmp_path, embedder):
    """The TUI's database with one document ingested: two sections, two passages."""
    from ingest.ingester import Ingester

    db = tmp_path / "lessons.db"
    shutil.copy(tui_db, db)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    doc = tmp_path / "northfield-review.md"
    doc.write_text("# Northfield MCP procurement: post-award lessons review\n\n"
                   "## Estates\n\nThe hub site leases were signed late, so the new provider "
                   "could not move community teams into the hub buildings for a year.\n\n"
                   "## Staff transfer and pensions\n\nTransferring staff kept their access "
                   "to the NHS Pension Scheme only after months of negotiation.\n")
    ingester = Ingester(db, data, embedder=embedder)
    try:
        ingester.ingest([doc], case="northfield")
    finally:
        ingester.close()
    return db


async def test_passages_are_shown_by_default_with_document_and_locator(make_app, db_with_a_document):
    app = make_app(db_with_a_document)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "hub site leases")
        table = app.screen.query_one(RecordTable)
        kinds = [row.kind for row in table.rows_shown]
        assert "passage" in kinds and "lesson" in kinds and "fact" not in kinds
        row = kinds.index("passage")
        title = str(table.get_row_at(row)[1])
        assert title.startswith("Northfield") and title.endswith('· section "Estates"')
