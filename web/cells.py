"""Table cells as a person reads them (the plugin's render_cell hook).

The build stores lists (themes, partners, related lessons, questions) as JSON text, which
Datasette shows raw: `["tax-vat", "finance"]`, `[]`. Here a list is a row of chips (a
theme's chip links to the lessons with that theme, a related lesson's to its page), an
empty list is an empty cell, and an outcome is its words in its colour. The JSON and CSV
exports keep the stored values.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from markupsafe import Markup, escape

from kb.vocabulary import THEMES, label
from web.hits import row_url
from web.site import DATABASE

LIST_COLUMNS = {("lessons", "themes"), ("lessons", "related"), ("lessons", "questions"),
                ("cases", "partners")}
OUTCOME_COLUMNS = {("lessons", "outcome")}


def render(datasette, table: str, column: str, value) -> Markup | None:
    if (table, column) in OUTCOME_COLUMNS and isinstance(value, str) and value:
        return outcome(value)
    if (table, column) not in LIST_COLUMNS or not isinstance(value, str):
        return None
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return None  # not a list after all: Datasette shows it as it is
    if not isinstance(items, list):
        return None
    if column == "themes":
        base = datasette.urls.table(DATABASE, "lessons")
        chips = [(label(THEMES, t), f"{base}?themes__arraycontains={quote(str(t))}")
                 for t in items]
    elif column == "related":
        chips = [(str(item), row_url(datasette, "lessons", str(item))) for item in items]
    else:
        chips = [(str(item), None) for item in items]
    return chip_list(chips)


def chip_list(chips: list[tuple[str, str | None]]) -> Markup:
    if not chips:
        return Markup("")
    items = "".join(
        f'<li><a class="kb-chip" href="{escape(url)}">{escape(text)}</a></li>' if url
        else f'<li><span class="kb-chip">{escape(text)}</span></li>' for text, url in chips)
    return Markup(f'<ul class="kb-chips">{items}</ul>')


def outcome(value: str) -> Markup:
    """The outcome in words, with a mark and a colour (never the colour alone)."""
    mark = {"went-well": "▲", "went-wrong": "▼", "guidance": "■"}.get(value, "")
    return Markup(f'<span class="kb-outcome kb-{escape(value)}"><span aria-hidden="true">'
                  f'{mark}</span> {escape(value.replace("-", " "))}</span>')


def by_column(rows) -> list[dict]:
    """Datasette's display rows (lists of cells) as dicts of cells by column name."""
    return [{cell["column"]: cell for cell in row} for row in rows]
