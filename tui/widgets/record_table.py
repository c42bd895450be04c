"""One table for every list of records: search results, a case's lessons, a theme's
lessons, similar lessons and the shortlist.

Each row shows the outcome (a coloured mark), ★ when the lesson is shortlisted, then
title, case, stage and themes. Columns are fitted to the width, and drop from the right
(themes, then stage) on a narrow terminal so the title stays readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from kb.search import Hit

from kb.labels import outcome_mark, outcome_style
from tui.messages import CopyRecord, OpenRecord, ToggleShortlist

if TYPE_CHECKING:
    from tui.app import LessonsApp

CASE_WIDTH = 12
STAGE_WIDTH = 12
MIN_TITLE = 28
MAX_THEMES = 30


class Row(Protocol):
    """What a row needs: a search `Hit` and a `catalog.LessonRow` both have it."""

    kind: str
    id: str
    case: str
    title: str
    themes: Sequence[str]
    stage: str | None
    outcome: str | None


class RecordTable(DataTable):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    BINDINGS = [
        Binding("enter", "select_cursor", "Open"),
        Binding("space,a", "toggle_shortlist", "Shortlist"),
        Binding("y", "copy", "Copy"),
    ]

    class AboveFirstRow(Message):
        """↑ on the first row: the screen may take the focus to what is above the list."""

    def __init__(self, *, show_case: bool = True, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.show_case = show_case
        self.rows_shown: list[Row] = []
        self._drawn_width = 0
        self._starred: frozenset[str] = frozenset()  # lessons with ★ on screen (painted)

    def show(self, rows: Sequence[Row], *, keep_cursor: bool = False) -> None:
        """Replace the rows; the cursor goes back to the first, or stays on its row number
        (within the new rows) with `keep_cursor`."""
        self.rows_shown = list(rows)
        self._draw(keep_cursor=keep_cursor)

    @property
    def current(self) -> Row | None:
        if 0 <= self.cursor_row < len(self.rows_shown):
            return self.rows_shown[self.cursor_row]
        return None

    def refresh_marks(self) -> None:
        """Redraw the ★ marks after the shortlist changed."""
        shortlist = self.app.shortlist
        for row in self.rows_shown:
            self.update_cell(_key(row), "mark", _mark(row, shortlist))
        self._starred_once_painted()

    def on_resize(self) -> None:
        if self.size.width != self._drawn_width:
            self._draw(keep_cursor=True)

    def _draw(self, *, keep_cursor: bool) -> None:
        cursor = self.cursor_row if keep_cursor else 0
        self._drawn_width = self.size.width
        widths = self._widths(self.scrollable_content_region.width or self.size.width)
        self.clear(columns=True)
        for name, width in widths.items():
            self.add_column(_HEADINGS[name], key=name, width=width)
        shortlist = self.app.shortlist
        for row in self.rows_shown:
            cells = {"mark": _mark(row, shortlist), "title": title_cell(row, widths.get("title")),
                     "case": fit(row.case, widths.get("case")),
                     "stage": fit(row.stage or row.kind, widths.get("stage")),
                     "themes": fit(", ".join(row.themes), widths.get("themes"))}
            self.add_row(*(cells[name] for name in widths), key=_key(row))
        if self.rows_shown:
            self.move_cursor(row=min(cursor, len(self.rows_shown) - 1), animate=False)
        self._starred_once_painted()

    def _starred_once_painted(self) -> None:
        """Remember the ★ marks as the user sees them, from the moment they are painted."""
        starred = frozenset(row.id for row in self.rows_shown
                            if row.kind == "lesson" and row.id in self.app.shortlist)
        self.call_after_refresh(setattr, self, "_starred", starred)

    def _widths(self, width: int) -> dict[str, int]:
        """Columns that fit in `width` cells; every column is padded on both sides."""
        pad = 2 * self.cell_padding
        room = width - (2 + pad) - pad  # what the title has once the marks column is paid
        widths = {"mark": 2}
        for name, wanted in (("case", CASE_WIDTH), ("stage", STAGE_WIDTH)):
            if (name != "case" or self.show_case) and room - (wanted + pad) >= MIN_TITLE:
                widths[name] = wanted
                room -= wanted + pad
        themes = min(MAX_THEMES, (room - pad) // 3)
        if themes >= 12 and room - pad - themes >= MIN_TITLE:
            widths["themes"] = themes
            room -= themes + pad
        widths["title"] = max(room, 10)
        return {name: widths[name] for name in _HEADINGS if name in widths}

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if (row := self.current) is not None:
            self.post_message(OpenRecord(row.kind, row.id, row.case, _hit(row)))

    def action_toggle_shortlist(self) -> None:
        if (row := self.current) is not None:
            self.post_message(ToggleShortlist(row.kind, row.id, row.id not in self._starred))

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.AboveFirstRow())
        else:
            super().action_cursor_up()

    def action_copy(self) -> None:
        if (row := self.current) is not None:
            self.post_message(CopyRecord(row.kind, row.id, _hit(row)))


_HEADINGS = {"mark": "", "title": "Title", "case": "Case", "stage": "Stage", "themes": "Themes"}


def _key(row: Row) -> str:
    return f"{row.kind}:{row.id}"


def _hit(row: Row) -> Hit | None:
    """The search hit behind a row, if it is one (passages are shown from it)."""
    return row if isinstance(row, Hit) else None


def _mark(row: Row, shortlist) -> Text:
    star = "★" if row.kind == "lesson" and row.id in shortlist else " "
    return Text.assemble((outcome_mark(row.outcome), outcome_style(row.outcome)), (star, "bold yellow"))


def title_cell(row: Row, width: int | None) -> str:
    """The title, cut to `width`; a passage, whose title is its document's (the same on every
    passage of it), keeps its locator whole and cuts the document title instead."""
    locator = getattr(row, "locator", None) if row.kind == "passage" else None
    if not locator:
        return fit(row.title, width)
    tail = f" · {locator}"
    if not width:
        return row.title + tail
    if len(tail) > width // 2:
        tail = fit(tail, width // 2)
    return fit(row.title, width - len(tail)) + tail


def fit(text: str, width: int | None) -> str:
    """`text` cut to `width` cells with an ellipsis (no width: as it is)."""
    if not width or len(text) <= width:
        return text
    return text[:width - 1].rstrip() + "…"
