"""Splitting a document's sections into passages: the unit that is searched and cited.

A passage never crosses a section (a page, a slide, a heading), so its locator is exact.
Within a section, paragraphs are packed together up to about TARGET_WORDS; a paragraph
longer than MAX_WORDS is cut between sentences. MAX_WORDS keeps a passage within what the
embedding model reads (all-MiniLM-L6-v2 truncates at 256 word pieces, ~190 words), and
the size is a trade measured in bench/ingest.py: smaller passages cite more precisely,
larger ones embed faster per word.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.readers import Extracted, Section
from ingest.text import sentences, word_count

TARGET_WORDS = 100
MAX_WORDS = 160
MIN_TAIL_WORDS = 30  # a shorter last passage joins the one before when it fits


@dataclass(frozen=True)
class Passage:
    ordinal: int
    locator: str
    heading: str | None
    text: str


@dataclass
class _Piece:
    text: str
    words: int
    paragraph: int  # 1-based number of the paragraph in the document


def split(extracted: Extracted) -> list[Passage]:
    passages: list[Passage] = []
    paragraph = 0
    for section in extracted.sections:
        pieces = []
        for block in section.blocks:
            paragraph += 1
            pieces += _pieces(f"• {block.text}" if block.bullet else block.text, paragraph)
        for group in _pack(pieces):
            passages.append(Passage(
                ordinal=len(passages) + 1, locator=_locator(section, group),
                heading=section.heading, text="\n".join(p.text for p in group)))
    return passages


def _pieces(text: str, paragraph: int) -> list[_Piece]:
    """A paragraph as one piece, or cut between sentences (or words) to fit MAX_WORDS."""
    if word_count(text) <= MAX_WORDS:
        return [_Piece(text, word_count(text), paragraph)]
    pieces: list[_Piece] = []
    current: list[str] = []
    for sentence in sentences(text):
        for chunk in _chunks(sentence.split(), MAX_WORDS):
            if current and len(current) + len(chunk) > MAX_WORDS:
                pieces.append(_Piece(" ".join(current), len(current), paragraph))
                current = []
            current += chunk
    if current:
        pieces.append(_Piece(" ".join(current), len(current), paragraph))
    return pieces


def _chunks(words: list[str], size: int) -> list[list[str]]:
    return [words[i:i + size] for i in range(0, len(words), size)]


def _pack(pieces: list[_Piece]) -> list[list[_Piece]]:
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    words = 0
    for piece in pieces:
        if current and (words >= TARGET_WORDS or words + piece.words > MAX_WORDS):
            groups.append(current)
            current, words = [], 0
        current.append(piece)
        words += piece.words
    if current:
        if (groups and words < MIN_TAIL_WORDS
                and sum(p.words for p in groups[-1]) + words <= MAX_WORDS):
            groups[-1] += current
        else:
            groups.append(current)
    return groups


def _locator(section: Section, group: list[_Piece]) -> str:
    if section.locator:
        return section.locator
    first, last = group[0].paragraph, group[-1].paragraph
    return f"paragraph {first}" if first == last else f"paragraphs {first}–{last}"
