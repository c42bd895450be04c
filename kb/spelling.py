"""Misspelt query words corrected against the words of the knowledge base.

"conflcit of intrest with GP comissioners" finds nothing by keyword and little by meaning
(the model's tokenizer splits a misspelt word into unrelated pieces). A query word is left
alone when the index knows its stem (the FTS5 vocabulary table, which covers every record
and passage) or when it is an English word (the frequency dictionary shipped with
symspellpy): a real word the records do not use, such as "dentistry", is not a typo, and
the engine's word neighbours deal with it. Both are asked of the word without its accents,
as the index holds it (FTS5's tokenizer removes diacritics): "naïve café" is English, not
a misspelling of "name care". Any other word of four letters or more is
looked up with SymSpell (symmetric-delete search, Damerau–Levenshtein distance up to 2)
among the curated records' words, weighted by how many records use each; the closest,
most common one replaces it, and every front-end shows "searched for: …".

The records are in British English, so a word the index does not know whose British
spelling it does (breame's list of American and British pairs) is searched for in that
spelling: "mobilize" as "mobilise", "program" as "programme". A word the index knows is
never respelt ("practice" stays, though British English spells the verb "practise").

Two adjacent words are joined when the records write them as one word and at least one of
them is no record word on its own: "Uniting Care" is the records' "UnitingCare" (which the
index's stemmer would otherwise read as "unit" and "care"), "multi-disciplinary" their
"multidisciplinary". Stop words are never joined ("a long" is not "along").
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Callable

from kb.query import STOPWORDS, unaccented

MAX_DISTANCE = 2
MIN_LENGTH = 4  # shorter words have too many neighbours within two edits
_LETTERS = re.compile(r"[^\W\d_]+")
_BETWEEN = re.compile(r"[\s\-‐‑–]+")  # what may part two words written as one


class Speller:
    def __init__(self, words: list[str], documents: Callable[[str], int]):
        """`words`: the records' words; `documents(word)`: how many indexed items hold the
        word (by its stem), 0 for a word the index does not know."""
        self._words = words
        self._known = frozenset(words)
        self._documents = documents
        self._symspell = None
        self._english: frozenset[str] | None = None

    def corrections(self, words: list[str], *, acronyms: set[str] = frozenset()
                    ) -> list[tuple[str, str]]:
        """(typed, corrected) for each word that is neither known nor English nor one of
        the `acronyms` (typed in capitals: "TUPE" is a name the records do not hold, not a
        misspelling of "take") and has a close record word."""
        out = []
        for word in words:
            plain = unaccented(word)
            if (word in acronyms or len(plain) < MIN_LENGTH or not plain.isalpha()
                    or self._documents(plain)):
                continue
            british = _british_spelling(plain)
            if british != plain and self._documents(british):
                out.append((word, british))
                continue
            if plain in self.english:
                continue
            suggestions = self.symspell.lookup(plain, _verbosity().CLOSEST, MAX_DISTANCE)
            if suggestions:
                best = max(suggestions, key=lambda s: (-s.distance, s.count))
                out.append((word, best.term))
        return out

    def joins(self, text: str) -> list[tuple[str, str]]:
        """(typed, record word) for each two adjacent words of `text` that the records
        write as one (see the module's docstring)."""
        out = []
        found = list(_LETTERS.finditer(text))
        for first, second in zip(found, found[1:]):
            a, b = first.group().lower(), second.group().lower()
            if (a + b in self._known and not (a in self._known and b in self._known)
                    and a not in STOPWORDS and b not in STOPWORDS
                    and _BETWEEN.fullmatch(text[first.end():second.start()])):
                out.append((text[first.start():second.end()], a + b))
        return out

    @property
    def english(self) -> frozenset[str]:
        if self._english is None:
            path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
            with path.open(encoding="utf-8") as lines:
                self._english = frozenset(line.split(" ", 1)[0] for line in lines)
        return self._english

    @property
    def symspell(self):
        if self._symspell is None:
            from symspellpy import SymSpell

            symspell = SymSpell(max_dictionary_edit_distance=MAX_DISTANCE)
            for word in self._words:
                symspell.create_dictionary_entry(word, max(self._documents(word), 1))
            self._symspell = symspell
        return self._symspell


def _british_spelling(word: str) -> str:
    from breame.spelling import get_british_spelling  # 2 ms, and only for unknown words

    return get_british_spelling(word)


def _verbosity():
    from symspellpy import Verbosity

    return Verbosity
