"""Plain text: paragraphs separated by blank lines, cited by paragraph number; a line
that starts with a bullet or a list number starts a bullet of its own."""

from __future__ import annotations

import re

from ingest.readers import Block, Extracted, Section, decode_text
from ingest.text import clean

NAME = "a text file"

BULLET = re.compile(r"^\s*(?:[•▪●◦‣∙·*\-–]|\d{1,2}[.)]|[a-z][.)])\s+")
BLANK_LINE = re.compile(r"\n\s*\n")


def read(data: bytes) -> Extracted:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    for paragraph in BLANK_LINE.split(text):
        lines: list[str] = []
        bullet = False
        for line in paragraph.split("\n"):
            marker = BULLET.match(line)
            if marker:
                _add(blocks, lines, bullet)
                lines, bullet, line = [], True, line[marker.end():]
            lines.append(line)
        _add(blocks, lines, bullet)
    return Extracted("txt", [Section(blocks)])


def _add(blocks: list[Block], lines: list[str], bullet: bool) -> None:
    """The lines as one block, unless they hold no words (a blank line before a bullet)."""
    text = clean(" ".join(lines))
    if text:
        blocks.append(Block(text, bullet=bullet))
