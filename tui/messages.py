"""The messages that screens, widgets and workers send each other.

Anything that opens, copies or shortlists a record bubbles up to the app as one of these,
so the app is the one place that routes records to screens and owns the shortlist. What
the app tells every screen (the shortlist changed, the model is ready) does not bubble,
or it would come straight back. Workers report with them too (posting is thread-safe).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kb.check import Review
from kb.search import Hit, Results


@dataclass
class OpenRecord(Message):
    """Show a search result or list row in full (a lesson, case, fact or passage)."""

    kind: str
    id: str
    case: str
    hit: Hit | None = None  # what a passage is shown from: it has no screen of its own


@dataclass
class ToggleShortlist(Message):
    """Add a lesson to the shortlist (`add`), or take it out. `add` is judged from what the
    screen showed when the key was pressed, so a second press before a slow redraw has
    shown the first asks for the same thing again instead of undoing it."""

    kind: str
    id: str
    add: bool


@dataclass
class CopyRecord(Message):
    """Copy a record to the clipboard, as Markdown for a lesson."""

    kind: str
    id: str
    hit: Hit | None = None


@dataclass
class ShortlistChanged(Message, bubble=False):
    """Sent by the app to every screen so that the ★ marks follow the shortlist."""

    ids: tuple[str, ...]


@dataclass
class ResultsReady(Message):
    """A search worker finished. `requested` is the clock reading when the debounce fired."""

    results: Results
    requested: float
    generation: int


@dataclass
class SearchFailed(Message):
    error: str
    generation: int


class SemanticReady(Message, bubble=False):
    """The query encoder is loaded: semantic and hybrid searches are live."""


@dataclass
class SemanticFailed(Message, bubble=False):
    """The query encoder could not be loaded: searches stay keyword-only."""

    error: str


@dataclass
class BuildProgress(Message):
    total: int | None = None
    advance: int = 0


@dataclass
class BuildFinished(Message):
    summary: str


@dataclass
class BuildFailed(Message):
    error: str


@dataclass
class ReviewReady(Message):
    """A plan check worker finished: the review to show."""

    review: Review


@dataclass
class ReviewFailed(Message):
    """The plan could not be read or checked: one sentence saying why."""

    error: str
