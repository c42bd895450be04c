"""Asks where to write the briefing, writes it, and says where it went (or why not)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kb.briefing import BriefingExists, default_file_name, write_briefing
from kb.catalog import LessonView
from kb.errors import KbError
from kb.labels import plural


class ExportScreen(ModalScreen[Path | None]):
    """Dismissed with the path written, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, lessons: list[LessonView], today: date) -> None:
        super().__init__()
        self.lessons = lessons
        self.today = today
        self._replace: str | None = None  # the name the user was warned exists

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Export {plural(len(self.lessons), 'lesson')} as a Markdown briefing",
                         classes="title")
            yield Label("File name (relative to the current directory):")
            yield Input(default_file_name(self.today), id="path")
            yield Static("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        # As in the search box: a blinking cursor in a headless run (tests, snapshots) only
        # adds nondeterminism (the export snapshot caught it on alternate runs).
        self.query_one("#path", Input).cursor_blink = not self.app.is_headless

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._export()

    @on(Button.Pressed, "#export")
    def _export_pressed(self) -> None:
        self._export()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _export(self) -> None:
        name = self.query_one("#path", Input).value.strip()
        if not name:
            self.query_one("#error", Static).update("Type a file name.")
            return
        try:
            path = write_briefing(Path(name), self.lessons, today=self.today,
                                  replace=name == self._replace)
        except BriefingExists as exc:
            self._replace = name  # Export again with the same name replaces it
            self.query_one("#error", Static).update(Text(str(exc)))
            return
        except KbError as exc:
            self.query_one("#error", Static).update(Text(str(exc)))
            return
        self.dismiss(path)
