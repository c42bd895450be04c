"""The app as a whole: launching from kb, quitting, help, a small terminal."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tui.commands import tui
from tui.screens.help import HelpScreen
from tui.screens.lesson import LessonScreen
from tui.widgets.record_table import RecordTable
from tui_pilot import SIZE, search, settle


def test_kb_tui_is_the_tui_command_and_kb_alone_runs_it():
    with cli.make_context("kb", []) as ctx:
        assert cli.get_command(ctx, "tui") is tui
    result = CliRunner().invoke(cli, ["tui", "--help"])
    assert result.exit_code == 0
    assert "--db FILE" in result.output and "--data DIRECTORY" in result.output


@pytest.mark.asyncio
@pytest.mark.parametrize("keys", [("ctrl+c",), ("down", "q")])
async def test_ctrl_c_quits_from_anywhere_and_q_outside_the_box(make_app, keys):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        await pilot.press(*keys)
        await pilot.pause()
        assert app.return_code == 0


@pytest.mark.asyncio
async def test_q_in_the_search_box_is_a_letter(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "q")
        assert app.return_code is None and app.search_screen.query_text == "q"


@pytest.mark.asyncio
async def test_help_from_f1_and_question_mark(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await search(pilot, "VAT")
        await pilot.press("down", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is app.search_screen


@pytest.mark.asyncio
async def test_it_works_at_80_by_24(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await search(pilot, "VAT")
        table = app.screen.query_one("#results", RecordTable)
        assert table.region.right <= 80 and table.region.height >= 8
        assert [str(column.label) for column in table.columns.values()] == ["", "Title", "Case",
                                                                             "Stage"]
        await pilot.press("ctrl+f")  # the filter panel squeezes the table: the title stays
        await pilot.pause()
        columns = {str(c.label): c.width for c in table.columns.values()}
        assert columns["Title"] >= 28
        await pilot.press("ctrl+f", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.query_one("#lesson").region.bottom <= 23
