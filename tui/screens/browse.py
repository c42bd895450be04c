"""Browsing without a query: every case, and the lessons of each theme."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from rich.text import Text
from textual.widgets import (DataTable, Footer, Header, OptionList, Static, TabbedContent,
                             TabPane)
from textual.widgets.option_list import Option

from kb.labels import theme_name
from tui.messages import OpenRecord, ShortlistChanged
from tui.widgets.record_table import RecordTable, fit

if TYPE_CHECKING:
    from tui.app import LessonsApp


class BrowseScreen(Screen):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    BINDINGS = [
        Binding("escape,backspace", "app.back", "Back"),
        Binding("1", "show_tab('cases')", "Cases"),
        Binding("2", "show_tab('themes')", "Themes"),
    ]

    def __init__(self, tab: str = "cases", theme: str | None = None) -> None:
        super().__init__()
        self.tab = tab
        self.theme = theme

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=self.tab, id="browse-tabs"):
            with TabPane("Cases", id="cases"):
                yield DataTable(id="case-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="case-summary")
            with TabPane("Themes", id="themes"):
                with Horizontal():
                    yield OptionList(id="theme-list")
                    yield RecordTable(id="theme-lessons")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "browse"
        self.cases = self.app.catalog.cases()
        self._draw_cases()
        themes = self.query_one("#theme-list", OptionList)
        counts = self.app.catalog.stats.by_theme
        themes.add_options(Option(f"{theme_name(t)} ({n})", id=t) for t, n in counts.items())
        if self.theme in counts:
            themes.highlighted = themes.get_option_index(self.theme)
        elif counts:
            themes.highlighted = 0
        self.action_show_tab(self.tab)

    def on_resize(self) -> None:
        self._draw_cases()

    def _draw_cases(self) -> None:
        """Name, counts and status, fitted to the width (a status can be a sentence)."""
        table = self.query_one("#case-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        room = max(self.size.width - 4 - 2 * 4 - 7 - 5, 30)
        name_width = min(max((len(c.name) for c in self.cases), default=10), room * 3 // 5)
        table.add_column("Case", width=name_width)
        table.add_column("Lessons", width=7)
        table.add_column("Facts", width=5)
        table.add_column("Status", width=room - name_width)
        for case in self.cases:
            table.add_row(fit(case.name, name_width), case.lessons, case.facts,
                          fit(case.status, room - name_width), key=case.slug)
        if self.cases:
            table.move_cursor(row=min(cursor, len(self.cases) - 1), animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "case-table" and event.row_key.value:
            case = self.app.catalog.case(event.row_key.value)
            summary = self.query_one("#case-summary", Static)
            summary.update(Text.assemble((case.name, "bold"), "\n", (case.status, "italic"),
                                         "\n\n", case.summary) if case else "")

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.set_focus(self.query_one("#case-table" if tab == "cases" else "#theme-list"))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.theme = event.option.id
        self.query_one("#theme-lessons", RecordTable).show(
            self.app.catalog.lessons_with_theme(self.theme))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.set_focus(self.query_one("#theme-lessons", RecordTable))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "case-table":
            slug = event.row_key.value
            self.post_message(OpenRecord("case", slug, slug))

    def on_shortlist_changed(self, message: ShortlistChanged) -> None:
        self.query_one("#theme-lessons", RecordTable).refresh_marks()
