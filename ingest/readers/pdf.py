"""PDF (pypdf): one section per page, cited by the page's own label ("page 12", "page iv").

pypdf gives each page's text as lines without paragraph marks; a line that ends a
sentence well short of the page's full width ends a paragraph, a short line on its own
(a heading) is a paragraph, a line that starts with a bullet glyph starts one, and words
hyphenated across lines are joined. A PDF encrypted
only against editing (an empty user password, common for published reports) is read; one
that needs a password to open is reported.
"""

from __future__ import annotations

import io
import logging
import re

from ingest.dates import property_date
from ingest.readers import Block, Extracted, Section, Unreadable, plausible_title
from ingest.text import clean

NAME = "a PDF"

BULLET = re.compile(r"^(?:[•▪●◦‣∙·*\-–]|o(?=\s)|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
PAGE_FURNITURE = re.compile(r"^(?:page\s+)?\d+(?:\s+of\s+\d+)?$", re.IGNORECASE)
ENDS_SENTENCE = (".", "!", "?", ":", "…", ".”", ".'", '."')


def read(data: bytes) -> Extracted:
    import pypdf
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair notes are not the user's
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError as exc:
            raise Unreadable(f"encrypted with a method this installation cannot open "
                             f"({exc})") from None
        if opened == pypdf.PasswordType.NOT_DECRYPTED:
            raise Unreadable("encrypted: it needs a password to open; ingest an unprotected copy")
    labels = reader.page_labels
    sections = [Section(paragraphs(page.extract_text() or ""), locator=f"page {labels[i]}")
                for i, page in enumerate(reader.pages)]
    return Extracted("pdf", sections, title=_title(reader), pages=len(reader.pages),
                     date=_date(reader))


def paragraphs(page_text: str) -> list[Block]:
    lines = [clean(line) for line in page_text.splitlines()]
    lines = [line if not PAGE_FURNITURE.match(line) else "" for line in lines]
    widths = sorted(len(line) for line in lines if line)
    full_width = widths[int(len(widths) * 0.9)] if widths else 0
    blocks: list[Block] = []
    current: list[str] = []
    bullet = False

    def flush():
        nonlocal current, bullet
        if current:
            blocks.append(Block(_join(current), bullet=bullet))
        current, bullet = [], False

    for line in lines:
        if not line:
            flush()
            continue
        marker = BULLET.match(line)
        if marker:
            flush()
            bullet, line = True, line[marker.end():]
        current.append(line)
        short = len(line) < 0.8 * full_width
        if short and (line.endswith(ENDS_SENTENCE) or (len(current) == 1 and not bullet
                                                       and not line.endswith((",", ";")))):
            flush()  # the end of a paragraph, or a line standing alone: a heading, a label
    flush()
    return blocks


def _join(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        if text.endswith("-") and text[-2:-1].isalpha() and line[:1].islower():
            text = text[:-1] + line  # "manage-" + "ment"
        else:
            text = f"{text} {line}"
    return text


def _date(reader) -> str | None:
    try:
        return property_date(reader.metadata.creation_date if reader.metadata else None)
    except Exception:  # a damaged or odd date costs the date, not the document
        return None


def _title(reader) -> str | None:
    try:
        return plausible_title(reader.metadata.title if reader.metadata else None)
    except Exception:  # a damaged info dictionary costs the title, not the document
        return None
