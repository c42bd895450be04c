"""Asks for a file path: the plan to check, or where to write its review; the briefing's export
(tui/screens/export.py) is one that writes what it is given."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class PathScreen(ModalScreen[str | Path | None]):
    """Dismissed with the path typed (~ not yet expanded), or None when cancelled.
    A screen that does more with the path (tui/screens/export.py) overrides `submit`."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: str, value: str = "", action: str = "OK") -> None:
        super().__init__()
        self.title_text, self.prompt, self.value, self.action_label = title, prompt, value, action

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, classes="title")
            yield Label(self.prompt)
            yield Input(self.value, id="path")
            yield Static("", id="error")
            with Horizontal(classes="buttons"):
                yield Button(self.action_label, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        # As in the search box: a blinking cursor in a headless run (tests, snapshots) only
        # adds nondeterminism (the export snapshot caught it on alternate runs).
        self.query_one("#path", Input).cursor_blink = not self.app.is_headless

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    @on(Button.Pressed, "#ok")
    def _ok_pressed(self) -> None:
        self._done()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _done(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.query_one("#error", Static).update("Type a file path.")
            return
        self.submit(value)

    def submit(self, value: str) -> None:
        self.dismiss(value)

    def say(self, message: str) -> None:
        """Shows why the path was not taken, under the input."""
        self.query_one("#error", Static).update(Text(message))
