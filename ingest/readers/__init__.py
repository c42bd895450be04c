"""Readers: one per document format, each turning a file's bytes into sections of text.

A section is a stretch of a document that a citation can point at: a PDF page, a slide,
the text under a heading. A reader keeps the document's structure (which page, which
slide, which heading, which lines are bullets) and nothing of its layout; the passage
splitter decides how much text makes one searchable passage. The converters are the
well-kept libraries pinned in pyproject.toml (pypdf, python-docx, python-pptx,
beautifulsoup4 with lxml, markdown-it-py): measured against markitdown they are 5–35×
faster per document and keep page and slide numbers directly (see the ingest note).

Every reader raises `Unreadable(reason)` for a file it cannot read; the reason is said to
the user next to the file name, so it says what is wrong in their terms.
"""

from __future__ import annotations

import codecs
import importlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ingest.text import clean
from kb.errors import KbError


class Unreadable(KbError):
    """A file that cannot be ingested, and why (shown next to its name)."""


@dataclass
class Block:
    """A paragraph, bullet, table row or note: the smallest unit a reader reports."""

    text: str
    bullet: bool = False


@dataclass
class Section:
    """Consecutive blocks cited the same way. With no locator the passages are cited by
    paragraph number (plain text, or the text before a document's first heading)."""

    blocks: list[Block] = field(default_factory=list)
    locator: str | None = None
    heading: str | None = None


@dataclass
class Extracted:
    format: str
    sections: list[Section]
    title: str | None = None
    pages: int | None = None  # pages of a PDF, slides of a deck
    date: str | None = None   # from the file's properties (ingest/dates.py), if it has one
    written_date: str | None = None  # a date written at the top of its text, if any


# File suffix → format; a format's reader is the module of that name in this package.
FORMATS: dict[str, str] = {
    ".pdf": "pdf", ".docx": "word", ".pptx": "slides", ".html": "web", ".htm": "web",
    ".xhtml": "web", ".md": "markdown", ".markdown": "markdown", ".txt": "plain",
    ".text": "plain",
}

# Formats people will try, with what to do about them.
UNSUPPORTED: dict[str, str] = {
    ".doc": "an old Word format: save it as .docx",
    ".ppt": "an old PowerPoint format: save it as .pptx",
    ".rtf": "rich text is not supported: save it as .docx",
    ".odt": "OpenDocument text is not supported: save it as .docx",
    ".odp": "OpenDocument slides are not supported: save them as .pptx",
}


DEFAULT_MAX_MB = 50
MB = 1_000_000


def check(path: Path, max_bytes: int) -> str:
    """The file's format, or Unreadable if it is empty, too large or of an unknown type:
    checked before a byte is read, so a 200 MB file costs nothing."""
    size = path.stat().st_size
    if size == 0:
        raise Unreadable("empty file (0 bytes)")
    if size > max_bytes:
        raise Unreadable(f"too large ({_mb(size)}; the limit is {_mb(max_bytes)}, "
                         "set with --max-size)")
    return format_of(path)


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size / MB:.2g} MB"


def format_of(path: Path) -> str:
    """The format of `path` by its suffix, or Unreadable saying which types are known."""
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix in UNSUPPORTED:
        raise Unreadable(UNSUPPORTED[suffix])
    known = ", ".join(sorted({s.lstrip(".") for s in FORMATS}))
    raise Unreadable(f"unknown type {suffix or '(no suffix)'}: expected one of {known}")


def read(fmt: str, data: bytes) -> Extracted:
    """Read a file's bytes as `fmt`; raises Unreadable for anything that goes wrong."""
    module = importlib.import_module(f"{__name__}.{fmt}")
    try:
        extracted = module.read(data)
    except (Unreadable, MemoryError):
        raise
    except Exception as exc:  # a parser's own error on a damaged file: say which and why
        raise Unreadable(f"damaged or not really {module.NAME} ({type(exc).__name__}: "
                         f"{str(exc)[:160] or 'no detail'})") from None
    extracted.sections = [s for s in extracted.sections if s.blocks]
    return extracted


_PRODUCER_PREFIX = re.compile(r"^(?:microsoft\s+(?:word|powerpoint)\s*-\s*)", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.(?:docx?|pptx?|pdf|html?|txt|md|rtf)$", re.IGNORECASE)


def plausible_title(value: object) -> str | None:
    """A title from a file's metadata if it is worth showing: not empty, not "Untitled",
    not a file name left behind by the program that made the file."""
    if not isinstance(value, str):
        return None
    title = _PRODUCER_PREFIX.sub("", clean(value))
    if not title or _FILE_NAME.search(title) or title.lower() in {"untitled", "title", "slide 1"}:
        return None
    return title


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What a .docx/.pptx may unpack to: everything (images are stored compressed already, so a
# real file unpacks to little more than its size), and its XML, which is what the readers
# parse (a few MB for a long report; a zip bomb of 472 KB unpacked to 150 MB of it).
MAX_UNPACKED = 200 * MB
MAX_UNPACKED_XML = 40 * MB


def office_package(data: bytes, old_format: str):
    """The bytes of a .docx/.pptx as a file object. A password-protected Office file (or an
    old binary one renamed) is an OLE container, not the zip package the readers expect:
    say which, rather than "not a zip file"."""
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise Unreadable("encrypted: it needs a password to open; save an unprotected copy")
        raise Unreadable(f"{old_format} (the file is in the old binary format)")
    _check_unpacked(data)
    return io.BytesIO(data)


def _check_unpacked(data: bytes) -> None:
    """Refuse a package that unpacks to more than the readers should hold, from the sizes
    its directory declares (zipfile never inflates a member past its declared size)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError):
        return  # not a zip: the reader says the file is damaged
    total = sum(m.file_size for m in members)
    xml = sum(m.file_size for m in members if m.filename.endswith((".xml", ".rels")))
    if total > MAX_UNPACKED or xml > MAX_UNPACKED_XML:
        raise Unreadable(f"unpacks to {_mb(total)} ({_mb(xml)} of it XML; the limits are "
                         f"{_mb(MAX_UNPACKED)} and {_mb(MAX_UNPACKED_XML)}): a zip bomb, or a "
                         "document to split into smaller ones")


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f")


def looks_binary(data: bytes) -> bool:
    """Bytes no text file holds: a NUL, or control characters in more than one byte of
    twenty (random bytes have one in eight) of the first 64 KB. UTF-16 (with its BOM)
    is text with NULs and is decoded before this is asked."""
    head = data[:65536]
    return b"\x00" in head or len(head) - len(head.translate(None, _CONTROL)) > len(head) / 20


def decode_text(data: bytes) -> str:
    """Text files as people save them: UTF-8 (with or without a BOM), UTF-16 with a BOM,
    or Windows-1252; anything with NUL bytes in it is not text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if looks_binary(data):
        raise Unreadable("binary content, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")
