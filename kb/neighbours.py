"""Nearest knowledge-base words for the words of a query that the records never use.

A user's word that appears in no record ("levy", "watchdog", "infighting") can match
nothing by keyword, and a small embedding model often misses it inside a sentence too. So
every distinct word of the curated records is embedded once at build time (stored in
`embeddings` with kind "word"), and a query word outside that vocabulary brings in its
nearest record words, which then count for keyword and semantic ranking alike. It
complements the hand-written glossary (kb/glossary.py) for words nobody listed there.
Measured in bench/retrieval.py: on the held-out questions hybrid hit@3 went from 0.70 to
0.80 with it.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from kb.embeddings import Embedder
from kb.items import Item
from kb.query import STOPWORDS, Expansion

KIND = "word"
SOURCE = "neighbour"  # the source of the expansions it adds (kb.query.Expansion)
MIN_SIMILARITY = 0.5
PER_WORD = 2
_WORD = re.compile(r"[a-z][a-z'-]{2,}")


def vocabulary(texts: Iterable[str]) -> list[str]:
    words = {w.strip("'-") for text in texts for w in _WORD.findall(text.lower())}
    return sorted(w for w in words if len(w) > 2 and w not in STOPWORDS)


def word_items(items: Iterable[Item]) -> list[Item]:
    """One embedding entry per word of the curated records (not passages: a user's
    documents can be large, and the curated words are what questions need bridging to)."""
    texts = [i.text for i in items if i.kind in ("lesson", "fact", "case")]
    return [Item(kind=KIND, id=w, case="", title=w, text=w) for w in vocabulary(texts)]


class Neighbours:
    def __init__(self, words: list[str], matrix: np.ndarray):
        self._words = words
        self._known = set(words)
        self._matrix = matrix

    @property
    def words(self) -> list[str]:
        return self._words

    def expansions(self, words: Iterable[str], embedder: Embedder) -> list[Expansion]:
        """For each word no record uses, its nearest record words ("levy → tax"). A stop
        word is no such word (the vocabulary leaves them out, and a query keeps them only
        when it has nothing else): "and" would bring in "plus" and "although"."""
        unknown = [w for w in words if w not in self._known and w not in STOPWORDS
                   and w.isalpha()]
        if not unknown or not self._words:
            return []
        found: list[Expansion] = []
        # One matrix-vector product per word, not one matrix product for all: OpenBLAS
        # splits the latter across its threads, which wait on a busy machine. At load 10
        # six words took 20 ms that way and 0.45 ms this way (medians of 100).
        for word, vector in zip(unknown, embedder.encode(unknown)):
            row = self._matrix @ vector
            best = [self._words[i] for i in np.argsort(-row)[:PER_WORD] if row[i] >= MIN_SIMILARITY]
            if best:
                found.append(Expansion(word, tuple(best), SOURCE))
        return found
