"""Turning what a user typed into a safe FTS5 query.

Users type quotes, `AND(`, `*`, `-`, `NEAR` and unicode; none of that may raise. So the
text is reduced to its words, each quoted as an FTS5 string (so no word is ever read as
an operator) and joined with OR: bm25 ranks documents that match more of the words, and
rarer words, higher. Common English words are dropped unless nothing else is left.
"""

from __future__ import annotations

import re

MAX_TERMS = 32
_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset("""
a about after all also an and any are as at be been before being but by can could did do
does for from had has have how i if in into is it its me my no not of on or our out over
should so than that the their them then there these they this those through to too under
up us was we were what when where which while who why will with would you your
""".split())


def terms(text: str) -> list[str]:
    """The distinct words of `text`, lower-cased, in order, without stop words."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    content = [w for w in words if w not in STOPWORDS]
    return (content or words)[:MAX_TERMS]


def fts_query(words: list[str]) -> str | None:
    """An FTS5 MATCH expression for `words`, or None when there are none."""
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


class CommonTerms:
    """Words found in so large a share of a big index that matching them costs much and
    ranks little (bm25 gives them almost no weight): skipped, as Lucene's common-terms
    query does. Only indexes past `min_documents` are pruned, so small knowledge bases
    rank on every word. Frequencies come from the fts5vocab table built beside the index,
    keyed by Porter stems, which is what the index stores."""

    MIN_DOCUMENTS = 5000
    SHARE = 0.2

    def __init__(self, frequencies: dict[str, int], documents: int, *, keep: int = 2):
        self._frequencies = frequencies
        self._limit = self.SHARE * documents if documents >= self.MIN_DOCUMENTS else None
        self._keep = keep
        self._stem = None

    def prune(self, words: list[str]) -> list[str]:
        if self._limit is None or len(words) <= self._keep:
            return words
        if self._stem is None:
            import snowballstemmer

            self._stem = snowballstemmer.stemmer("porter").stemWord
        counts = {w: self._frequencies.get(self._stem(w), 0) for w in words}
        rare = [w for w in words if counts[w] <= self._limit]
        if len(rare) >= self._keep:
            return rare
        return sorted(words, key=counts.get)[:self._keep]
