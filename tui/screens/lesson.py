"""A lesson in full: the driving event, the lesson and the recommendation, its evidence
and sources, key facts of its case, and the same lesson seen in other cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from kb.catalog import LessonView
from tui.messages import CopyRecord, OpenRecord, ShortlistChanged, ToggleShortlist
from tui.widgets.record_table import RecordTable
from tui.widgets.records import EvidenceList, FactList, Heading, LessonText

if TYPE_CHECKING:
    from tui.app import LessonsApp

KEY_FACTS = 6
SIMILAR = 5


class LessonScreen(Screen):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    AUTO_FOCUS = "#lesson"
    BINDINGS = [
        Binding("escape,backspace", "app.back", "Back"),
        Binding("space,a", "toggle_shortlist", "Shortlist"),
        Binding("y", "copy", "Copy"),
        Binding("o", "open_case", "Case overview"),
    ]

    def __init__(self, lesson: LessonView) -> None:
        super().__init__()
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="lesson"):
            yield LessonText(id="text")
            yield Heading("Evidence and sources")
            yield EvidenceList(id="evidence")
            yield Heading(f"Key facts of {self.lesson.case_name}")
            yield FactList(id="facts")
            yield Heading("Similar lessons from other cases")
            yield RecordTable(id="similar")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"lesson from {self.lesson.case}"
        self._draw_text()
        self.query_one(EvidenceList).show(self.lesson)
        case = self.app.catalog.case(self.lesson.case)
        facts = case.key_facts if case else []
        self.query_one(FactList).show(facts[:KEY_FACTS], more=max(0, len(facts) - KEY_FACTS))
        similar = self.app.engine.similar("lesson", self.lesson.id, limit=SIMILAR, other_cases=True)
        self.query_one("#similar", RecordTable).show(similar)

    def _draw_text(self) -> None:
        self._shown_shortlisted = self.lesson.id in self.app.shortlist
        self.query_one(LessonText).show(self.lesson, self._shown_shortlisted)

    def on_shortlist_changed(self, message: ShortlistChanged) -> None:
        self._draw_text()
        self.query_one("#similar", RecordTable).refresh_marks()

    def action_toggle_shortlist(self) -> None:
        self.post_message(ToggleShortlist("lesson", self.lesson.id, not self._shown_shortlisted))

    def action_copy(self) -> None:
        self.post_message(CopyRecord("lesson", self.lesson.id))

    def action_open_case(self) -> None:
        self.post_message(OpenRecord("case", self.lesson.case, self.lesson.case))
