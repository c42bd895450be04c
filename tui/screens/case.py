"""A case overview: what was commissioned and how it went, its lessons, its facts and its
timeline (the facts with a date), one tab each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from kb.catalog import CaseView
from tui.messages import ShortlistChanged
from tui.widgets.record_table import RecordTable
from tui.widgets.records import CaseDetails, FactList, Timeline

TABS = ("overview", "lessons", "facts", "timeline")


class CaseScreen(Screen):
    BINDINGS = [
        Binding("escape,backspace", "app.back", "Back"),
        *(Binding(str(i), f"show_tab('{tab}')", tab.title()) for i, tab in enumerate(TABS, 1)),
    ]

    def __init__(self, case: CaseView, tab: str = "overview") -> None:
        super().__init__()
        self.case = case
        self.tab = tab

    def compose(self) -> ComposeResult:
        case = self.case
        yield Header()
        with TabbedContent(initial=self.tab, id="case-tabs"):
            with TabPane("Overview", id="overview"):
                with VerticalScroll():
                    yield CaseDetails(id="details")
            with TabPane(f"Lessons ({len(case.lessons)})", id="lessons"):
                yield RecordTable(id="case-lessons", show_case=False)
            with TabPane(f"Facts ({len(case.key_facts)})", id="facts"):
                with VerticalScroll():
                    yield FactList(id="case-facts")
            with TabPane(f"Timeline ({len(case.timeline)})", id="timeline"):
                with VerticalScroll():
                    yield Timeline(id="case-timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"case: {self.case.name}"
        self.query_one(CaseDetails).show(self.case)
        self.query_one("#case-lessons", RecordTable).show(self.case.lessons)
        self.query_one("#case-facts", FactList).show(self.case.key_facts, cited=True)
        self.query_one(Timeline).show(self.case.timeline)
        self.action_show_tab(self.tab)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        focusable = pane.query("RecordTable, VerticalScroll")
        if focusable:
            self.set_focus(focusable.first())

    def on_shortlist_changed(self, message: ShortlistChanged) -> None:
        self.query_one("#case-lessons", RecordTable).refresh_marks()
