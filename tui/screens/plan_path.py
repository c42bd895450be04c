"""Asks for a file path: the plan to check, or where to write its review."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class PathScreen(ModalScreen[str | None]):
    """Dismissed with the path typed (~ not yet expanded), or None when cancelled."""

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
        self.dismiss(value)
