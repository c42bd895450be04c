"""What a user typed, made safe and typed: normalised text, its words, the corrections and
expansions the engine applied, and the FTS5 query built from them.

Users type quotes, `AND(`, `*`, `-`, `NEAR`, full-width letters and unicode; none of that
may raise. The text is NFKC-normalised (the build normalises indexed text the same way, so
"ＶＡＴ" finds "VAT"), reduced to its words, each quoted as an FTS5 string (so no word is
ever read as an operator) and joined with OR: bm25 ranks documents that match more of the
words, and rarer words, higher. Common English words are dropped unless nothing else is
left.

A `Query` is built once per search and carried through the engine: ranking, the why line
and every front-end read its words, corrections and expansions from it rather than
re-tokenising strings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.errors import QueryError

MAX_TERMS = 32
MAX_QUERY_CHARS = 2000
STOPWORDS = frozenset("""
a about after all also an and any are as at be been before being but by can could did do
does for from had has have how i if in into is it its me my no not of on or our out over
should so than that the their them then there these they this those through to too under
up us was we were what when where which while who why will with would you your
""".split())


def normalise(text: str) -> str:
    """NFKC, one space between words: the form both queries and indexed text take."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def unaccented(text: str) -> str:
    """`text` decomposed (NFKD) and without its diacritics, as FTS5's unicode61 tokenizer
    reads it: "café" is "cafe"."""
    folded = unicodedata.normalize("NFKD", text)
    if folded.isascii():
        return folded
    return "".join(c for c in folded if not unicodedata.combining(c))


def clean_query(text: str) -> str:
    """The query as searched: normalised and cut to MAX_QUERY_CHARS, or QueryError."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        # Python hands undecodable command-line bytes over as lone surrogates.
        raise QueryError("The query is not valid UTF-8 text: retype it, or check the "
                         "terminal's character encoding.")
    query = normalise(text)[:MAX_QUERY_CHARS]
    if not query:
        raise QueryError("The query is empty: type some words to search for.")
    return query


def too_long(text: str) -> None:
    """QueryError for a query longer than the engine reads (for front-ends that refuse
    rather than cut it short)."""
    length = len(normalise(text))
    if length > MAX_QUERY_CHARS:
        raise QueryError(f"The query is {length:,} characters long: keep it under "
                         f"{MAX_QUERY_CHARS:,}.")


def terms(text: str) -> list[str]:
    """The distinct words of `text`, lower-cased, in order, without stop words."""
    words = list(dict.fromkeys(words_of(text)))
    content = [w for w in words if w not in STOPWORDS]
    return (content or words)[:MAX_TERMS]


# A word with its apostrophes ("doesn't", "CCG's", "O'Neill"), and the endings that make it
# a contraction of words the stop list holds ("does not", "we will", "they have").
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_CONTRACTION = re.compile(r"(?:n['’]t|['’](?:ll|re|ve|d|m))$")
_POSSESSIVE = re.compile(r"['’]s$")
_APOSTROPHE = re.compile(r"['’]")


def words_of(text: str) -> list[str]:
    """The words of `text`, lower-cased, as a reader counts them: a possessive is its word
    ("CCG's" is "ccg", never "ccg" and "s") and a contraction is a stop word, as its long
    form is ("doesn't" is not the word "doesn", "won't" not the "won" of a tender)."""
    found = []
    for token in _WORD.findall(text.lower()):
        if _CONTRACTION.search(token):
            continue
        found += _APOSTROPHE.split(_POSSESSIVE.sub("", token))
    return found


# An acronym: two or more capitals (and digits). A name: a capitalised word not opening the
# text or a sentence, or an acronym anywhere.
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+\b")
_NAME = re.compile(rf"(?<![.?!:;]\s)(?<!^)\b[A-Z]\w+|{_ACRONYM.pattern}")


def acronyms(text: str) -> set[str]:
    """The words `text` writes in capitals, lower-cased ("TUPE transfer" → {"tupe"})."""
    return {m.lower() for m in _ACRONYM.findall(text)}


def names(text: str) -> list[str]:
    """The words of `text` written as names, at least two letters: capitalised but not the
    first of the text or of a sentence, or all capitals anywhere ("CQUIN targets at
    Hinchingbrooke" → CQUIN, Hinchingbrooke), each once."""
    return list(dict.fromkeys(m.group() for m in _NAME.finditer(text.strip())))


def fts_query(words: list[str]) -> str | None:
    """An FTS5 MATCH expression for `words`, or None when there are none."""
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


@dataclass(frozen=True)
class Expansion:
    """Words the query did not type but stands for: "family doctor → GP general practice"
    (glossary), "National Audit Office → NAO" (acronym), "levy → tax" (nearest record
    words to a word no record uses)."""

    phrase: str
    terms: tuple[str, ...]
    source: str  # glossary, acronym or neighbour

    def label(self, matched: list[str] | None = None) -> str:
        return f"{self.phrase} → {' '.join(matched or self.terms)}"


@dataclass(frozen=True)
class Query:
    text: str                                   # as typed, normalised
    searched: str                               # after spelling corrections
    words: tuple[str, ...]                      # terms of `searched`
    corrections: tuple[tuple[str, str], ...] = ()   # (typed, corrected)
    expansions: tuple[Expansion, ...] = field(default=())

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)

    def with_expansions(self, more: list[Expansion]) -> "Query":
        return Query(self.text, self.searched, self.words, self.corrections,
                     (*self.expansions, *more))

    @property
    def asks_something(self) -> bool:
        """Whether any word is more than a common English word: "what is it" keeps its
        stop words to search by (`terms`), but asks nothing a record could answer."""
        return any(w not in STOPWORDS for w in self.words)

    @property
    def counted_words(self) -> list[str]:
        """The words a record can be said to hold: two letters or more (the "o" of
        "O'Neill" or the "b" of "plan b" is not a word, as the why line's
        kb.search.matching_words has it). Coverage and hybrid's word features count these."""
        return [w for w in self.words if len(w) > 1]

    @property
    def keyword_terms(self) -> list[str]:
        """The words and every expansion's words, each once."""
        extra = [t for e in self.expansions for t in terms(" ".join(e.terms))]
        return list(dict.fromkeys([*self.words, *extra]))

    @property
    def semantic_text(self) -> str:
        """What the model is given: the (corrected) query and its expansions."""
        extra = " ".join(dict.fromkeys(" ".join(e.terms) for e in self.expansions))
        return f"{self.searched} {extra}".strip()


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
        self.documents = documents
        self._limit = self.SHARE * documents if documents >= self.MIN_DOCUMENTS else None
        self._keep = keep

    def prune(self, words: list[str]) -> list[str]:
        if self._limit is None or len(words) <= self._keep:
            return words
        counts = {w: self._frequencies.get(stem(w), 0) for w in words}
        rare = [w for w in words if counts[w] <= self._limit]
        if len(rare) >= self._keep:
            return rare
        return sorted(words, key=counts.get)[:self._keep]


_STEMMER = None


def stem(word: str) -> str:
    """The Porter stem of a word: the form the FTS5 index (tokenize=porter) stores."""
    global _STEMMER
    if _STEMMER is None:
        import snowballstemmer

        _STEMMER = snowballstemmer.stemmer("porter")
    return _STEMMER.stemWord(word.lower())
