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


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for `text`, or None when it has no words at all."""
    words = terms(text)
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
