"""A plan's review: the lessons that apply to it, as Red flags / Gaps / Covered tabs.

The plan is read (ingest's readers) and checked (kb/check.py, the engine `kb check` and
the browser use) in a thread worker, so the screen is drawn at once and says what it is
doing. Each tab lists its lessons by strength; enter opens a lesson as everywhere else,
space shortlists it, and the highlighted one shows where the plan meets it and why. m
writes the whole review as Markdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from kb.catalog import LessonRow
from kb.check import STATUSES, Review, ReviewItem
from kb.check_report import HEADINGS
from kb.errors import KbError
from tui.messages import ReviewFailed, ReviewReady, ShortlistChanged
from tui.screens.plan_path import PathScreen
from tui.widgets.record_table import RecordTable

if TYPE_CHECKING:
    from tui.app import LessonsApp

TABS = {"red-flag": "Red flags", "gap": "Gaps", "covered": "Covered"}


class ReviewScreen(Screen):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    BINDINGS = [
        Binding("escape,backspace", "app.back", "Back"),
        Binding("1", "show_tab('red-flag')", "Red flags"),
        Binding("2", "show_tab('gap')", "Gaps"),
        Binding("3", "show_tab('covered')", "Covered"),
        Binding("m", "export", "Export review"),
    ]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.review: Review | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Reading and checking {self.path}…", id="review-summary")
        with TabbedContent(id="review-tabs"):
            for status, title in TABS.items():
                with TabPane(title, id=status):
                    yield RecordTable(id=f"table-{status}")
        yield Static(id="review-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"plan check: {Path(self.path).name}"
        self.check_plan()

    @work(thread=True, exclusive=True, group="check")
    def check_plan(self) -> None:
        from ingest.plans import read_plan
        from ingest.readers import DEFAULT_MAX_MB, MB

        try:
            plan = read_plan(str(Path(self.path).expanduser()) if self.path != "-" else "-",
                             max_bytes=DEFAULT_MAX_MB * MB)
            review = self.app.checker.check(plan)
        except KbError as exc:
            self.post_message(ReviewFailed(str(exc)))
            return
        self.post_message(ReviewReady(review))

    def on_review_ready(self, message: ReviewReady) -> None:
        self.review = review = message.review
        self.query_one("#review-summary", Static).update(review.summary)
        tabs = self.query_one(TabbedContent)
        for status in STATUSES:
            items = review.of(status)
            tabs.get_tab(status).label = f"{TABS[status]} ({len(items)})"
            self.query_one(f"#table-{status}", RecordTable).show([_row(i) for i in items])
        first = next((s for s in STATUSES if review.of(s)), STATUSES[0])
        self.action_show_tab(first)

    def on_review_failed(self, message: ReviewFailed) -> None:
        summary = self.query_one("#review-summary", Static)
        summary.update(Text(message.error))
        summary.add_class("error")

    def action_show_tab(self, status: str) -> None:
        self.query_one(TabbedContent).active = status
        table = self.query_one(f"#table-{status}", RecordTable)
        table.focus()
        self._show_detail(status, table.cursor_row)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        status = event.pane.id
        self._show_detail(status, self.query_one(f"#table-{status}", RecordTable).cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        status = (event.data_table.id or "").removeprefix("table-")
        if status == self.query_one(TabbedContent).active:  # not a table being filled
            self._show_detail(status, event.cursor_row)

    def _show_detail(self, status: str, row: int) -> None:
        items = self.review.of(status) if self.review else []
        detail = self.query_one("#review-detail", Static)
        if not 0 <= row < len(items):
            detail.update("")
            return
        detail.update(_detail(items[row]))

    def on_shortlist_changed(self, message: ShortlistChanged) -> None:
        for table in self.query(RecordTable):
            table.refresh_marks()

    def action_export(self) -> None:
        if self.review is None:
            self.notify("The review is not ready yet.", severity="warning")
            return
        name = f"plan-review-{self.app.today().isoformat()}.md"
        self.app.push_screen(PathScreen("Export the review as Markdown",
                                        "File name (relative to the current directory):",
                                        name, "Export"), self._export)

    def _export(self, name: str | None) -> None:
        if name is None:
            return
        from kb.check_report import review_markdown

        path = Path(name).expanduser()
        try:
            path.write_text(review_markdown(self.review, today=self.app.today()),
                            encoding="utf-8")
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror or exc}.", severity="error")
            return
        self.notify(f"Wrote the review to {path}", title="Exported")


def _row(item: ReviewItem) -> LessonRow:
    lesson = item.lesson
    return LessonRow(lesson.id, lesson.case, lesson.title, tuple(lesson.themes), lesson.stage,
                     lesson.outcome)


def _detail(item: ReviewItem) -> Text:
    text = Text.assemble((f"{HEADINGS[item.status]}: ", "bold"), item.lesson.title, "\n",
                         ("Recommendation: ", "bold"), item.lesson.recommendation, "\n")
    for place in item.places[:2]:
        words = f" ({', '.join(place.words)})" if place.words else ""
        text.append_text(Text.assemble(("In the plan, ", "dim"), (place.locator, "cyan"),
                                       (words, "dim"), f": “{place.text}”\n"))
    text.append(f"Why: {item.why}", style="dim")
    return text
