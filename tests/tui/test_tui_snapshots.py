"""What the main screens look like at 100×30, kept as SVG files in __snapshots__/ so that a
layout change shows up in review. After an intended change, look at the report and run
`pytest tests/tui/test_tui_snapshots.py --snapshot-update`.

The apps run over the fixed fixture database with a clock reading 0 and a fixed date, and
every screenshot waits for the model and the workers, so the pictures are reproducible.
"""

from __future__ import annotations

from pathlib import Path

from tui_pilot import SIZE, search, settle


def snapshot(snap_compare, app, *keys: str, query: str | None = None) -> bool:
    async def run_before(pilot) -> None:
        await settle(pilot)
        if query is not None:
            await search(pilot, query)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_welcome(snap_compare, make_app):
    assert snapshot(snap_compare, make_app())


def test_results(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), query="VAT")


def test_results_with_filter_panel(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        await settle(pilot)
        await search(pilot, "engagement")
        await pilot.press("ctrl+f")
        app.search_screen.set_filter("case", "dudley")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_lesson(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "down", "space", "enter", query="VAT")


def test_case_overview(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "down", "enter", "o", query="VAT")


def test_case_timeline(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "down", "enter", "o", "4", query="VAT")


def test_browse_themes(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "ctrl+b", "2", "down")


def test_shortlist(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "down", "space", "down", "a", "l", query="VAT")


def test_export(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "down", "space", "ctrl+s", query="VAT")


def test_help(snap_compare, make_app):
    assert snapshot(snap_compare, make_app(), "f1")


def test_no_database(snap_compare, make_app):
    # Relative paths, so the picture does not depend on where the checkout is.
    app = make_app(Path("no-such-directory/lessons.db"))
    app.data_dir = Path("data")
    assert snapshot(snap_compare, app)
