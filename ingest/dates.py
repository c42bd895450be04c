"""A document's date, read from the document when `kb ingest` is not given one.

A date written near the top of the document (under its title, on its first page: "14 May
2019", "May 2019", "2019-05-14") is the date its authors gave it, so it comes first. Else
the file's own properties (a PDF's creation date, a Word document's core properties), which
programs set when the file was made: often the same month, but sometimes when it was
converted or copied from a template, which is why ingest says where a date came from.
Bare years are not taken from the text: "in 2014 the CCG…" is history, not a date.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Iterable

HEAD_BLOCKS = 12  # the blocks of text at the top of a document that may carry its date

_MONTHS = {name: n for n, names in enumerate([
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
    ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
    ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")], start=1) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?\b")
# "14 May 2019", "14th of May 2019", "May 14, 2019", "May 2019", "Sept. 2018"
_WORDS = re.compile(
    rf"\b(?:([0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?)?({_MONTH})\.?"
    rf"(?:\s+([0-3]?\d)(?:st|nd|rd|th)?,)?\s+((?:19|20)\d{{2}})\b", re.IGNORECASE)


def written_date(blocks: Iterable[str]) -> str | None:
    """The first full date (day or month, and year) in `blocks`, as YYYY-MM[-DD]."""
    for n, text in enumerate(blocks):
        if n >= HEAD_BLOCKS:
            break
        found = [(m.start(), _as_text(int(m[1]), int(m[2]), m[3])) for m in _ISO.finditer(text)]
        found += [(m.start(), _as_text(int(m[4]), _MONTHS[m[2].lower()], m[1] or m[3]))
                  for m in _WORDS.finditer(text) if m[2][0].isupper()]  # not "we may 2019"
        for _, value in sorted(found):
            if value:
                return value
    return None


def property_date(value: object) -> str | None:
    """A date from a file's properties (a datetime, or None when it has none)."""
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    return None


def _as_text(year: int, month: int, day: str | None) -> str | None:
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, int(day)).isoformat()
    except ValueError:  # "31 June": not a date
        return None
