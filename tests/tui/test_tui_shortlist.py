"""Collecting lessons, exporting them as a Markdown briefing, copying one to the clipboard."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kb.briefing import briefing_markdown
from tui.screens.export import ExportScreen
from tui.screens.lesson import LessonScreen
from tui.screens.shortlist import ShortlistScreen
from tui.widgets.record_table import RecordTable
from tui.widgets.search import SearchStatus
from tui_pilot import SIZE, TODAY, plain, search

pytestmark = pytest.mark.asyncio


async def shortlist_two(pilot) -> list[str]:
    """Shortlist the first VAT result with space and the third with a; their ids."""
    await search(pilot, "VAT")
    await pilot.press("down", "space", "down", "down", "a")
    await pilot.pause()
    rows = pilot.app.screen.query_one("#results", RecordTable).rows_shown
    return [rows[0].id, rows[2].id]


async def test_space_and_a_shortlist_and_the_marks_follow(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        picked = await shortlist_two(pilot)
        assert app.shortlist.ids == tuple(picked)
        table = app.screen.query_one("#results", RecordTable)
        marks = [plain_cell(table, row) for row in range(3)]
        assert ["★" in mark for mark in marks] == [True, False, True]
        assert "★ 2 shortlisted" in plain(app.screen.query_one(SearchStatus))
        await pilot.press("space")  # the third again: out
        await pilot.pause()
        assert app.shortlist.ids == (picked[0],)
        assert "★" not in plain_cell(table, 2)


def plain_cell(table: RecordTable, row: int) -> str:
    return table.get_row_at(row)[0].plain


async def test_the_shortlist_screen_removes_and_exports(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        picked = await shortlist_two(pilot)
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ShortlistScreen)
        table = screen.query_one("#shortlist", RecordTable)
        assert [row.id for row in table.rows_shown] == picked
        assert "2 lessons shortlisted" in plain(screen.query_one("#shortlist-intro"))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        box = app.screen.query_one("#path", Input)
        assert box.value == "lessons-briefing-2025-03-14.md"
        target = tmp_path / "minutes.md"
        box.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        lessons = app.catalog.lessons(picked)
        assert target.read_text(encoding="utf-8") == briefing_markdown(lessons, today=TODAY)
        await pilot.press("d")  # remove the first
        await pilot.pause()
        assert [row.id for row in table.rows_shown] == picked[1:]
        await pilot.press("x")
        await pilot.pause()
        assert table.rows_shown == [] and len(app.shortlist) == 0
        assert "The shortlist is empty" in plain(screen.query_one("#shortlist-intro"))


async def test_the_exported_briefing_reads_as_meeting_notes(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "GP engagement")
        await pilot.press("down", "space", "escape", "escape")  # shortlist it; empty the box
        await search(pilot, "VAT")
        await pilot.press("down", "space", "ctrl+s")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(tmp_path / "briefing.md")
        await pilot.press("enter")
        await pilot.pause()
        text = (tmp_path / "briefing.md").read_text(encoding="utf-8")
    assert text.startswith("# Lessons briefing: 2 lessons from 2 cases\n")
    assert "14 March 2025" in text
    # Grouped by each lesson's first theme, in the vocabulary's order.
    assert text.index("## Tax and VAT") < text.index("## Engagement")
    vat = text[text.index("## Tax and VAT"):text.index("## Engagement")]
    assert "### Nobody funded the VAT that the LLP structure created" in vat
    assert "- **Case:** UnitingCare Partnership contract (Cambridgeshire and Peterborough)" in vat
    assert "**Recommendation.** Take specialist tax advice" in vat
    assert ("- UnitingCare Partnership contract: facts from the public record (NAO, Public Accounts "
            "Committee, NHS England) (Compiled from the National Audit Office, the Public Accounts "
            "Committee and NHS England, 2016), What went wrong (findings): VAT:") in vat


async def test_export_problems_are_said_not_raised(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")  # nothing shortlisted yet
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert any("shortlist is empty" in n.message for n in app._notifications)
        await shortlist_two(pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(tmp_path / "missing" / "b.md")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "Cannot write" in plain(app.screen.query_one("#error"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.search_screen


async def test_y_copies_a_lesson_as_markdown(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        await pilot.press("down", "y")
        await pilot.pause()
        assert app.clipboard.startswith("## Nobody funded the VAT that the LLP structure created\n")
        assert "**Lesson.** The legal form of a provider" in app.clipboard
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        app.copy_to_clipboard("")
        await pilot.press("y", "space")  # copy and shortlist from the lesson itself
        await pilot.pause()
        assert app.clipboard.startswith("## Nobody funded the VAT")
        assert app.shortlist.ids == ("uc-vat-llp-unfunded",)
        assert "★ shortlisted" in plain(app.screen.query_one("#text"))


async def test_export_never_overwrites_an_earlier_briefing_without_asking(make_app, tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    earlier = tmp_path / "lessons-briefing-2025-03-14.md"
    earlier.write_text("# This morning's briefing\n\nMy notes from the meeting.\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await shortlist_two(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        box = app.screen.query_one("#path", Input)
        assert box.value == "lessons-briefing-2025-03-14-2.md"  # the next free name
        box.value = earlier.name
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "already exists" in plain(app.screen.query_one("#error"))
        assert "My notes from the meeting." in earlier.read_text()
        await pilot.press("enter")  # asked, and confirmed
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert earlier.read_text().startswith("# Lessons briefing: 2 lessons")
