"""The main screen: type, see ranked lessons as you type, filter, open, shortlist.

A keystroke (re)starts a short debounce timer; when it fires, a thread worker runs the
engine (exclusive, so only the latest query matters) and posts `ResultsReady`; stale
answers are dropped by generation. Until the query encoder is loaded the engine answers
by keyword (`wait_for_model=False`), and the query is run again once it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Select

from kb.errors import KbError
from kb.search import MODES, Filters

from kb.labels import outcome_legend
from tui.messages import (ResultsReady, SearchFailed, SemanticFailed, SemanticReady,
                          ShortlistChanged)
from tui.widgets.filters import PICK_KEYS, FilterPanel
from tui.widgets.record_table import RecordTable
from tui.widgets.search import ResultPreview, SearchBox, SearchStatus, Welcome

if TYPE_CHECKING:
    from tui.app import LessonsApp

DEBOUNCE = 0.15  # seconds of quiet typing before a search runs
LIMIT = 50
WIDE = 120       # the filter panel starts open on a terminal at least this wide


class SearchScreen(Screen):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    AUTO_FOCUS = "#query"
    BINDINGS = [
        Binding("ctrl+f", "toggle_filters", "Filters", priority=True),
        Binding("ctrl+t", "cycle_mode", "Mode", priority=True),
        Binding("slash", "focus_search", "Search", show=False),
        Binding("escape", "escape", "Search box", show=False),
        Binding("down", "focus_results", "Results", show=False),
        Binding("m", "cycle_mode", "Mode", show=False),
        *(Binding(key, f"pick('{name}')", name.title(), show=False)
          for name, key in PICK_KEYS.items()),
        Binding("r", "clear_filters", "Clear filters", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None
        self._generation = 0
        self.latency: float | None = None  # debounce fired → results drawn, for bench/
        self.drawn_generation = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            cases = [(case.name, case.slug) for case in self.app.catalog.cases()]
            yield FilterPanel(cases, id="filters")
            with Vertical(id="main"):
                yield SearchBox(id="query")
                yield SearchStatus(id="status")
                yield Welcome(id="welcome")
                yield RecordTable(id="results")
                yield ResultPreview(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = outcome_legend()
        self.query_one(FilterPanel).display = self.app.size.width >= WIDE
        totals = self.app.catalog.stats.totals
        self.query_one(Welcome).show(totals["lessons"], totals["facts"], totals["cases"])
        status = self.query_one(SearchStatus)
        status.semantic = self.app.semantic_state
        status.shortlisted = len(self.app.shortlist)
        self._show_results(False)

    # -- searching ------------------------------------------------------------------
    @property
    def query_text(self) -> str:
        return self.query_one(SearchBox).value

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self.query_one(SearchBox):
            return
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self.search_now)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_focus_results()

    def search_now(self) -> None:
        """Search for what is in the box now, with the panel's mode and filters."""
        self._generation += 1
        query = self.query_text
        if not query.strip():
            self.workers.cancel_group(self, "search")
            self._show_results(False)
            self.query_one(SearchStatus).results = None
            return
        panel = self.query_one(FilterPanel)
        self._search(query, panel.mode, panel.filters, self.app.clock(), self._generation)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, query: str, mode: str, filters: Filters, requested: float,
                generation: int) -> None:
        try:
            results = self.app.engine.search(query, mode=mode, limit=LIMIT, filters=filters,
                                             wait_for_model=False)
        except KbError as exc:
            self.post_message(SearchFailed(str(exc), generation))
            return
        self.post_message(ResultsReady(results, requested, generation))

    def on_results_ready(self, message: ResultsReady) -> None:
        if message.generation != self._generation:
            return  # the user typed on: a newer search is on its way
        status = self.query_one(SearchStatus)
        status.took = self.app.clock() - message.requested
        status.results, status.error = message.results, ""
        table = self.query_one(RecordTable)
        table.show(message.results.hits)
        self.query_one(ResultPreview).show(table.current)
        self._show_results(True)
        self.call_after_refresh(self._drawn, message)

    def _drawn(self, message: ResultsReady) -> None:
        self.latency = self.app.clock() - message.requested
        self.drawn_generation = message.generation

    def on_search_failed(self, message: SearchFailed) -> None:
        if message.generation == self._generation:
            self.query_one(SearchStatus).error = message.error

    def _show_results(self, shown: bool) -> None:
        self.query_one(Welcome).display = not shown
        self.query_one(RecordTable).display = shown
        self.query_one(ResultPreview).display = shown

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one(ResultPreview).show(self.query_one(RecordTable).current)

    # -- filters and mode -----------------------------------------------------------
    def on_filter_panel_changed(self, message: FilterPanel.Changed) -> None:
        self.query_one(SearchStatus).filters = self.query_one(FilterPanel).summary()
        self.search_now()
        if isinstance(self.focused, Select):
            # A value was chosen from a list: go back to the results (or the box), so the
            # next ↓, space or enter acts on them rather than reopening the list. After the
            # refresh, because the Select takes the focus back once it has closed.
            self.call_after_refresh(self._leave_filters)

    def _leave_filters(self) -> None:
        table = self.query_one(RecordTable)
        if table.display and table.rows_shown:
            self.set_focus(table)
        else:
            self.action_focus_search()

    def set_mode(self, mode: str) -> None:
        self.query_one(FilterPanel).mode = mode

    def set_filter(self, name: str, value: str | None) -> None:
        """Set one filter by its key or the name a user sees; an unknown one is shown as
        the error, listing the valid values (kb/filters.py), and changes nothing."""
        if value is not None:
            try:
                (value,) = getattr(self.app.engine.filters(**{name: value}), name)
            except KbError as exc:
                self.query_one(SearchStatus).error = str(exc)
                return
        self.query_one(FilterPanel).set_filter(name, value)

    def action_cycle_mode(self) -> None:
        panel = self.query_one(FilterPanel)
        panel.mode = MODES[(MODES.index(panel.mode) + 1) % len(MODES)]

    def action_toggle_filters(self) -> None:
        panel = self.query_one(FilterPanel)
        panel.display = not panel.display
        if panel.display:
            self.set_focus(panel.query_one("#kind"))
        elif self.focused is None or panel in self.focused.ancestors:
            self.action_focus_search()

    def action_pick(self, name: str) -> None:
        """Open one filter's list from the keyboard (showing the panel if hidden)."""
        panel = self.query_one(FilterPanel)
        panel.display = True
        select = panel.query_one(f"#{name}", Select)
        self.set_focus(select)
        select.action_show_overlay()

    def action_clear_filters(self) -> None:
        self.query_one(FilterPanel).clear()

    # -- focus ----------------------------------------------------------------------
    def action_focus_search(self) -> None:
        self.set_focus(self.query_one(SearchBox))

    def action_focus_results(self) -> None:
        table = self.query_one(RecordTable)
        if table.display and table.rows_shown:
            self.set_focus(table)

    def on_record_table_above_first_row(self, message: RecordTable.AboveFirstRow) -> None:
        self.action_focus_search()

    def action_escape(self) -> None:
        box = self.query_one(SearchBox)
        if self.focused is box:
            box.value = ""
        else:
            self.action_focus_search()

    # -- news from the app ----------------------------------------------------------
    def on_shortlist_changed(self, message: ShortlistChanged) -> None:
        self.query_one(RecordTable).refresh_marks()
        self.query_one(SearchStatus).shortlisted = len(message.ids)

    def on_semantic_ready(self, message: SemanticReady) -> None:
        self.query_one(SearchStatus).semantic = "ready"
        results = self.query_one(SearchStatus).results
        if results is not None and results.notice:
            self.search_now()  # upgrade the keyword answer to the mode asked for

    def on_semantic_failed(self, message: SemanticFailed) -> None:
        self.query_one(SearchStatus).semantic = "unavailable"
        self.notify(message.error, title="Semantic search is unavailable", severity="warning")
