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
        current: list[str] = []
        bullet = False
        for line in paragraph.split("\n"):
            marker = BULLET.match(line)
            if marker and current:
                blocks.append(Block(clean(" ".join(current)), bullet=bullet))
                current = []
            if marker:
                bullet, line = True, line[marker.end():]
            current.append(line)
        if clean(" ".join(current)):
            blocks.append(Block(clean(" ".join(current)), bullet=bullet))
    return Extracted("txt", [Section(blocks)])
