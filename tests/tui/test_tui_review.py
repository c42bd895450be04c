"""The plan review screen through the pilot: open a plan (ctrl+o and a path, or
`kb tui --check`), see the VAT red flag first, open and shortlist a lesson, export the
review; and a snapshot of the screen. Over the database built from data/ (the review
needs the lessons' plan signs, which the small TUI fixture data does not have), so the
snapshot follows data/ and kb/check_calibration.py: update it after recalibrating."""

from __future__ import annotations

import pytest

from bench.plan_evaluate import PLANS_DIR
from tui_pilot import SIZE, TODAY, settle

PLAN = PLANS_DIR / "riverside-obc.md"
VAT = "uc-vat-llp-unfunded"


def _review_app(make_app, built_db, **options):
    return make_app(built_db, **options)


@pytest.mark.asyncio
async def test_ctrl_o_and_a_path_open_the_review_with_the_vat_red_flag_first(make_app, built_db,
                                                                            tmp_path, monkeypatch):
    from tui.screens.lesson import LessonScreen
    from tui.screens.review import ReviewScreen

    monkeypatch.chdir(tmp_path)
    app = _review_app(make_app, built_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.press(*str(PLAN), "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        summary = str(screen.query_one("#review-summary").content)
        assert " lessons apply to this plan: " in summary
        table = screen.query_one("#table-red-flag")
        assert table.rows_shown[0].id == VAT and table.has_focus
        assert "5. The proposed provider" in str(screen.query_one("#review-detail").content)
        await pilot.press("space")
        assert VAT in app.shortlist
        await pilot.press("3")
        assert screen.query_one("#review-tabs").active == "covered"
        await pilot.press("1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == VAT
        await pilot.press("escape", "m", "enter")
        await settle(pilot)
        written = tmp_path / f"plan-review-{TODAY.isoformat()}.md"
        assert "## Red flags" in written.read_text()


@pytest.mark.asyncio
async def test_a_plan_that_cannot_be_read_says_why(make_app, built_db, tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    app = _review_app(make_app, built_db, check=str(empty))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        summary = str(app.screen.query_one("#review-summary").content)
        assert summary == f"Cannot check {empty}: empty file (0 bytes)."


def test_review_snapshot(snap_compare, make_app, built_db):
    async def run_before(pilot) -> None:
        await settle(pilot)

    assert snap_compare(_review_app(make_app, built_db, check=str(PLAN)), terminal_size=SIZE,
                        run_before=run_before)
