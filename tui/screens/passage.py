"""A document passage or any record without a screen of its own, shown from its hit."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kb.search import Hit


class PassageScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, hit: Hit) -> None:
        super().__init__()
        self.hit = hit

    def compose(self) -> ComposeResult:
        hit = self.hit
        with VerticalScroll(id="dialog"):
            yield Static(Text.assemble((hit.title, "bold"), "\n", (f"{hit.kind} · {hit.case}", "dim"),
                                       "\n\n", hit.text, "\n\n", (f"source: {hit.source_line}", "dim")))
