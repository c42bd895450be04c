"""Reading: a lesson in full with similar lessons from other cases, a case overview,
browsing by case and by theme, and the mouse."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, OptionList

from tui.screens.browse import BrowseScreen
from tui.screens.case import CaseScreen
from tui.screens.lesson import LessonScreen
from tui.widgets.record_table import RecordTable
from tui.widgets.records import EvidenceList, FactList, LessonText, Timeline
from tui_pilot import SIZE, plain, search, settle

pytestmark = pytest.mark.asyncio


def text_of(screen, selector) -> str:
    return plain(screen.query_one(selector))


async def open_vat_lesson(pilot) -> LessonScreen:
    await search(pilot, "VAT")
    await pilot.press("down", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, LessonScreen)
    return pilot.app.screen


async def test_a_result_opens_the_full_lesson(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_vat_lesson(pilot)
        text = text_of(screen, LessonText)
        assert "Nobody funded the VAT that the LLP structure created" in text
        for heading in ("What happened", "Lesson", "Recommendation"):
            assert heading in text
        assert "neither UCP nor the CCG had arranged to pay for that liability" in text  # event
        assert "Take specialist tax advice" in text                                   # recommendation
        assert "UnitingCare Partnership contract (Cambridgeshire and Peterborough)" in text
        assert "Tax and VAT" in text and "went wrong" in text
        evidence = text_of(screen, EvidenceList)
        assert "What went wrong (findings): VAT" in evidence
        assert "Developing an MCP: learning from the experience of Dudley CCG" in evidence
        facts = text_of(screen, FactList)
        assert "£726m bid against a £752m ceiling" in facts
        assert "Contract awarded" not in facts  # timeline entries belong to the case overview
        similar = screen.query_one("#similar", RecordTable).rows_shown
        assert len(similar) == 5
        assert all(hit.kind == "lesson" and hit.case != "uniting-care" for hit in similar)


async def test_a_similar_lesson_opens_and_escape_comes_back(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_vat_lesson(pilot)
        first_similar = screen.query_one("#similar", RecordTable).rows_shown[0]
        await pilot.press("tab")
        assert app.focused is screen.query_one("#similar", RecordTable)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == first_similar.id
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is app.search_screen


async def test_the_case_overview_has_facts_timeline_and_lessons(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_vat_lesson(pilot)
        await pilot.press("o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.case.slug == "uniting-care"
        assert "After a tender and design process" in text_of(screen, "#details")
        timeline = text_of(screen, Timeline)
        dates = ["Nov 2014", "1 Apr 2015", "3 Dec 2015", "14 Jul 2016"]
        assert [timeline.index(d) for d in dates] == sorted(timeline.index(d) for d in dates)
        assert "Contract awarded after a competitive tender" in timeline
        assert "£30m" in text_of(screen, "#case-facts")
        await pilot.press("2")
        await pilot.pause()
        lessons = screen.query_one("#case-lessons", RecordTable)
        assert app.focused is lessons
        assert [row.id for row in lessons.rows_shown][:2] == ["uc-vat-llp-unfunded",
                                                             "uc-bid-assumed-price-uplift"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen.lesson.id == "uc-bid-assumed-price-uplift"


async def test_browse_cases_then_a_theme(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        cases = screen.query_one("#case-table", DataTable)
        assert cases.row_count == 3
        assert "Dudley CCG, an MCP Vanguard" in text_of(screen, "#case-summary")
        await pilot.press("2")
        await pilot.pause()
        themes = screen.query_one("#theme-list", OptionList)
        assert app.focused is themes
        index = next(i for i in range(themes.option_count)
                     if themes.get_option_at_index(i).id == "tax-vat")
        themes.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        lessons = screen.query_one("#theme-lessons", RecordTable)
        assert app.focused is lessons
        assert [row.id for row in lessons.rows_shown] == ["uc-vat-llp-unfunded"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.lesson.id == "uc-vat-llp-unfunded"


async def palette(pilot, command: str) -> None:
    """Open the command palette, type `command` in one go, run the best match."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    pilot.app.screen.query_one(Input).value = command
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def test_the_palette_opens_a_case_and_a_theme(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette(pilot, "open case sunder")
        assert isinstance(app.screen, CaseScreen) and app.screen.case.slug == "sunderland"
        await palette(pilot, "browse theme tax")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        rows = app.screen.query_one("#theme-lessons", RecordTable).rows_shown
        assert [row.id for row in rows] == ["uc-vat-llp-unfunded"]
        await palette(pilot, "filter by theme finance")  # back to the search, filtered
        assert app.screen is app.search_screen
        assert app.screen.query_one("#theme").value == "finance"


async def test_the_mouse_opens_a_result(make_app):
    """A click picks a row; a click on the picked row opens it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        table = app.screen.query_one("#results", RecordTable)
        second = table.rows_shown[1]
        await pilot.click("#results", offset=(10, 2))  # row 0 is the header
        await pilot.pause()
        assert table.current is second and isinstance(app.screen, type(app.search_screen))
        await pilot.click("#results", offset=(10, 2))
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == second.id
