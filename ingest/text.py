"""Plain-text helpers shared by the readers, the passage splitter and the candidate finder.

Extracted text arrives with a converter's quirks (PDF ligatures, soft hyphens, hard line
breaks, non-breaking spaces); `clean` makes it comparable and countable, and `sentences`
splits it where a reader would, without being fooled by "e.g." or "Dr.".
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\x00"), None)

# A sentence ends at . ! ? or … (perhaps closed by a quote or bracket) before a space and
# something that can begin a sentence.
_BOUNDARY = re.compile(r"(?<=[.!?…])([\"'”’)\]]*)\s+(?=[\"'“‘(\[•]?[A-Z0-9£])")
_ABBREVIATIONS = {"e.g", "i.e", "etc", "cf", "vs", "dr", "mr", "mrs", "ms", "prof", "no",
                  "nos", "fig", "st", "para", "paras", "ref", "approx", "incl", "p", "pp",
                  "vol", "ch", "sec", "co", "ltd", "plc", "inc", "jan", "feb", "mar", "apr",
                  "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}


def clean(text: str) -> str:
    """One line of text: compatibility forms folded (ligatures), invisible characters
    dropped, every run of whitespace a single space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _SPACE.sub(" ", text).strip()


def word_count(text: str) -> int:
    return len(text.split())


def sentences(text: str) -> list[str]:
    """The sentences of one cleaned paragraph."""
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start:match.start()]
        last_word = before.rsplit(" ", 1)[-1].strip("([\"'“‘.!?…").lower()
        if not match.group(1) and before.endswith(".") and (
                last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())):
            continue  # "e.g. The", "Dr. Smith", "J. Smith"
        out.append(text[start:match.end(1)].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def humanise(stem: str) -> str:
    """A readable title from a file name or slug: "board_paper-2019" → "Board paper 2019"."""
    words = _SPACE.sub(" ", re.sub(r"[-_.]+", " ", stem)).strip()
    return words[:1].upper() + words[1:] if words else stem
