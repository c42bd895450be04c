"""The lessons collected so far, ready to export as a briefing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from kb.labels import plural
from tui.messages import ShortlistChanged
from tui.widgets.record_table import RecordTable

if TYPE_CHECKING:
    from tui.app import LessonsApp


class ShortlistScreen(Screen):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    AUTO_FOCUS = "#shortlist"
    BINDINGS = [
        Binding("escape,backspace", "app.back", "Back"),
        Binding("d,delete", "remove", "Remove"),
        Binding("e", "app.export", "Export"),
        Binding("x", "clear", "Clear all"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="shortlist-intro")
        yield RecordTable(id="shortlist")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "shortlist"
        self._draw()

    def _draw(self) -> None:
        lessons = self.app.catalog.lessons(self.app.shortlist.ids)
        self.query_one("#shortlist-intro", Static).update(
            f"{plural(len(lessons), 'lesson')} shortlisted. e exports them as a Markdown "
            "briefing grouped by theme; d removes one; x clears the list."
            if lessons else "The shortlist is empty: in the results, space or a adds a lesson.")
        self.query_one("#shortlist", RecordTable).show([lesson.row for lesson in lessons],
                                                       keep_cursor=True)

    def on_shortlist_changed(self, message: ShortlistChanged) -> None:
        self._draw()

    def action_remove(self) -> None:
        """Toggle the highlighted lesson: every row here is shortlisted, so it goes."""
        self.query_one("#shortlist", RecordTable).action_toggle_shortlist()

    def action_clear(self) -> None:
        self.app.clear_shortlist()
