"""Searching as you type: ranking, the status line, modes, filters, keyword-first start-up."""

from __future__ import annotations

import asyncio
import threading

import pytest
from textual.widgets import Select, TabbedContent

from kb.errors import ModelError
from tui.screens.search import SearchScreen
from tui.widgets.filters import FilterPanel
from tui.widgets.record_table import RecordTable
from tui.widgets.search import ResultPreview, SearchBox, SearchStatus, Welcome
from tui_pilot import SIZE, plain, search, settle

pytestmark = pytest.mark.asyncio


def rows(app) -> list:
    return app.screen.query_one("#results", RecordTable).rows_shown


def status_text(app) -> str:
    return plain(app.screen.query_one(SearchStatus))


async def test_vat_finds_the_uniting_care_lesson_first(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        first = rows(app)[0]
        assert (first.kind, first.id, first.case) == ("lesson", "uc-vat-llp-unfunded", "uniting-care")
        assert app.screen.query_one(SearchStatus).results.mode == "hybrid"
        results = app.screen.query_one(SearchStatus).results
        assert results.answered
        assert (f"{results.strong} strong match{'' if results.strong == 1 else 'es'}, "
                f"{len(rows(app)) - results.strong} more · hybrid · 0 ms") in status_text(app)
        preview = plain(app.screen.query_one(ResultPreview))
        assert "Nobody funded the VAT that the LLP structure created" in preview
        assert "went wrong" in preview


async def test_results_follow_the_typing(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        await pilot.press("ctrl+u")  # clear the box: back to the welcome
        await settle(pilot)
        assert app.screen.query_one(Welcome).display
        assert not app.screen.query_one(RecordTable).display
        await search(pilot, "GP engagement")
        assert all(hit.kind == "lesson" for hit in rows(app))
        assert rows(app)[0].id != "uc-vat-llp-unfunded"
        assert app.screen.query_one(SearchStatus).results.query == "GP engagement"


async def test_typing_runs_one_search_once_the_keys_pause(make_app):
    """The debounce: a search for what was typed once the keys pause, not one per key (the
    other tests start the pending search at once, tui_pilot.settle)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        searches, typed = screen._generation, "GP engagement"
        await pilot.press(*typed)
        await asyncio.wait([screen._debounce._task])
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        # One search here; more only if the machine stalled between two keys for longer than
        # the delay, never one a key.
        assert 1 <= screen._generation - searches < len(typed) // 2
        assert screen.query_one(SearchStatus).results.query == "GP engagement"


async def test_keyword_results_while_the_model_loads_then_hybrid(make_app, embedder):
    """The box answers at once by keyword; the model arrives later and the query is rerun."""
    release = threading.Event()

    def slow_loader():
        release.wait(10)
        return embedder

    app = make_app(embedder_loader=slow_loader)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"VAT")
        await pilot.pause(0.3)
        status = app.screen.query_one(SearchStatus)
        assert status.results is not None and status.results.mode == "keyword"
        assert rows(app)[0].id == "uc-vat-llp-unfunded"
        assert "keyword only until the model loads" in status_text(app)
        assert "semantic loading" in status_text(app)
        release.set()
        await settle(pilot)
        assert status.results.mode == "hybrid" and status.results.notice is None
        assert "semantic ready" in status_text(app)


async def test_a_model_that_cannot_load_leaves_keyword_search(make_app):
    def broken_loader():
        raise ModelError("No embedding model found.")

    app = make_app(embedder_loader=broken_loader)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        assert rows(app)[0].id == "uc-vat-llp-unfunded"
        assert app.screen.query_one(SearchStatus).results.mode == "keyword"
        assert "semantic unavailable" in status_text(app)


async def test_ctrl_t_cycles_the_mode(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        modes = []
        for _ in range(3):
            await pilot.press("ctrl+t")
            await settle(pilot)
            modes.append(app.screen.query_one(SearchStatus).results.mode)
        assert modes == ["semantic", "keyword", "hybrid"]
        # Keyword search finds only the lessons that say VAT.
        await pilot.press("ctrl+t", "ctrl+t")
        await settle(pilot)
        assert [hit.id for hit in rows(app)] == ["uc-vat-llp-unfunded"]


async def test_filter_by_case_from_the_keyboard(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "engagement")
        await pilot.press("down", "c")  # to the results, then open the case list
        await pilot.pause()
        panel = app.screen.query_one(FilterPanel)
        assert panel.display and panel.query_one("#case", Select).expanded
        await pilot.press("down", "enter")  # the first case, by name: Dudley
        await settle(pilot)
        assert panel.filters.case == {"dudley"}
        assert rows(app) and {hit.case for hit in rows(app)} == {"dudley"}
        assert "case dudley" in status_text(app)
        await pilot.press("r")  # clear the filters
        await settle(pilot)
        assert {hit.case for hit in rows(app)} == {"dudley", "sunderland", "uniting-care"}


async def test_filter_by_theme_and_stage(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "contract")
        screen: SearchScreen = app.screen
        screen.set_filter("theme", "finance")
        await settle(pilot)
        assert rows(app) and all("finance" in hit.themes for hit in rows(app))
        screen.set_filter("stage", "procurement")
        await settle(pilot)
        assert rows(app) and all(hit.stage == "procurement" and "finance" in hit.themes
                                 for hit in rows(app))
        assert {hit.id for hit in rows(app)} == {"uc-bid-assumed-price-uplift",
                                                 "uc-unclear-cost-of-services"}


async def test_everything_includes_facts_and_a_fact_opens_its_case(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "first-year gap")
        assert {hit.kind for hit in rows(app)} == {"lesson"}
        app.screen.query_one(FilterPanel).query_one("#kind", Select).value = "all"
        await settle(pilot)
        kinds = [hit.kind for hit in rows(app)]
        assert "fact" in kinds and "case" in kinds
        table = app.screen.query_one(RecordTable)
        table.move_cursor(row=kinds.index("fact"))
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.case.slug == "uniting-care"
        assert app.screen.query_one(TabbedContent).active == "facts"


async def test_escape_goes_back_to_the_box_and_clears_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "VAT")
        await pilot.press("down")
        assert app.focused is app.screen.query_one(RecordTable)
        await pilot.press("escape")
        box = app.screen.query_one(SearchBox)
        assert app.focused is box and box.value == "VAT"
        await pilot.press("escape")
        await settle(pilot)
        assert box.value == "" and app.screen.query_one(Welcome).display


async def test_nothing_answers_and_searched_for_are_said(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "ambulance response times in rural areas")
        assert "Nothing in the knowledge base answers this closely. Nearest records: " \
            in status_text(app)
        assert "weak match" in plain(app.screen.query_one(ResultPreview))
        await pilot.press("ctrl+u")
        await search(pilot, "conflcit of intrest")
        assert "searched for: conflict of interest" in status_text(app)


@pytest.mark.parametrize("name, value, message", [
    ("case", "Atlantis", "Unknown case 'Atlantis': use one of dudley, sunderland, uniting-care."),
    ("theme", "vat", "Unknown theme 'vat': use one of procurement, finance, tax-vat"),
    ("stage", "planning", "Unknown stage 'planning': use one of strategy, engagement"),
    ("kind", "document", "Unknown kind 'document': use one of case, lesson, fact, passage."),
    ("outcome", "bad", "Unknown outcome 'bad': use one of went-well, went-wrong, guidance."),
])
async def test_an_unknown_filter_is_an_error_listing_valid_values(make_app, name, value, message):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "contract")
        before = app.screen.query_one(FilterPanel).filters
        app.action_filter(name, value)  # as the command palette does
        await settle(pilot)
        assert message in status_text(app)
        assert app.screen.query_one(FilterPanel).filters == before


async def test_filters_by_the_name_a_user_sees(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "contract")
        app.action_filter("case", "Uniting Care")
        app.action_filter("outcome", "went wrong")
        await settle(pilot)
        assert app.screen.query_one(FilterPanel).filters.case == {"uniting-care"}
        assert rows(app) and all(h.case == "uniting-care" and h.outcome == "went-wrong"
                                 for h in rows(app))
