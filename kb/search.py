"""The search engine: keyword (FTS5 bm25), semantic (cosine) and hybrid (a learned blend).

One engine serves the CLI, the TUI and Datasette, so a query ranks, scores, explains and
abstains the same everywhere. It reads the database read-only and reloads by itself when a
build or an ingest changes the file. Below kb.segments.MIN_ITEMS items it keeps the
vectors in one float32 matrix scanned exhaustively and ranks keywords with FTS5's bm25;
past it, the writers keep a stored index inside the file (kb/segments.py: keyword postings
scored as FTS5 scores them, int8 HNSW graphs for vector candidates whose cosines are then
computed from their float32 vectors), and the engine reads that instead.

A search parses what was typed once into a `Query` (kb/query.py): normalised, misspellings
corrected against the index (kb/spelling.py), expanded with the glossary and, for the
model, with the record words nearest to words no record uses. Every hit is scored on one
scale for every mode (kb/relevance.py) and carries its band and a true "why" line; the
results say whether anything answers the question closely (`answered`).

The embedder is loaded on demand. Interactive front-ends load it in the background
(`load_embedder`) and meanwhile get keyword results with a notice, never a wait. A query's
vector is computed on a worker thread while the keyword side runs (`_start_vector`).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from kb import adapter, relevance
from kb.database import Reopener, read_meta
from kb.elsewhere import KIND as ELSEWHERE_KIND
from kb.embeddings import DTYPE, Embedder, check_same_model, dot_products, from_blobs
from kb.errors import ModelError, QueryError
from kb.filters import Filters, resolve
from kb.glossary import META_KEY as GLOSSARY_META, Glossary
from kb.items import Parts, read_parts
from kb.neighbours import KIND as WORD_KIND, SOURCE as NEIGHBOUR, Neighbours
from kb.query import (MAX_QUERY_CHARS, CommonTerms, Query, acronyms, clean_query, fts_query,
                      names, stem, terms)
from kb.segments import StoredIndex
from kb.spelling import Speller

__all__ = ["MODES", "MAX_QUERY_CHARS", "Filters", "Hit", "Results", "SearchEngine", "open_engine"]

MODES = ("hybrid", "semantic", "keyword")
TITLE_WEIGHT = 4.0  # bm25 weight of an item's title against its text
# Vector candidates fetched from the stored index (kb/segments.py) per query, at least: with
# the HNSW graph's expansion of 128, recall at 10 of the exhaustive ranking ≥ 0.99.
NEAREST = 100
# A filter that leaves at most this many items is ranked exactly over them: reading their
# float32 vectors costs less than searching the graph ever deeper for allowed neighbours.
# Measured at 100k items (bench/scale.py --switch-over, filtered hybrid, medians, load
# 12–15): 550 items left 61 ms exact / 820 ms graph, 2,045: 173 / 244, 5,078: 290 / 300,
# 10,045: 573 / 146, 20,078: 897 / 128 (recall 1.0 throughout). The exact cost grows with
# the items left, the graph's with the share it must skip, so at a million items the
# crossover should sit higher (about √10 times, not measured).
EXACT_FILTERED = 5_000
# Hybrid's "distinct" word feature (`_word_features`) contrasts a candidate with this many
# others, those closest in meaning to the query.
CONTRAST = 5
# Words whose holders (`SearchEngine.holding`) are kept between queries: at most this many.
HOLDERS_KEPT = 256
# Where a query's vector is computed while the engine reads keyword postings and vectors
# (SearchEngine._start_vector): a few, so that searches of several threads (Datasette's,
# the TUI's) are not queued behind one another.
_MODEL_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kb-query-vector")


class Ranked(NamedTuple):
    """One ranked item: its rowid, relevance on the one scale, and what it was scored from."""
    item: int
    score: float
    cosine: float
    keyword: float
    part: float  # cosine of its closest lesson part (its own cosine when it has none)
    coverage: float = 0.0  # share of the query's words it holds (hybrid: `_word_features`)
    distinct: float = 0.0  # share it holds that none of the other closest items does
    adapted: float = 0.0   # cosine with the query's vector moved by the adapter (kb/adapter.py)
    adapted_part: float = 0.0  # its closest lesson part's cosine with that vector


@dataclass
class Hit:
    rank: int
    kind: str
    id: str
    case: str
    title: str
    text: str
    themes: list[str]
    stage: str | None
    outcome: str | None
    strength: str | None  # of a lesson's evidence: strong, moderate or weak
    source_id: str | None
    source_title: str | None
    locator: str | None
    score: float  # relevance on the one scale of kb/relevance.py
    explain: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    nearest: bool = False  # listed only as the nearest record to a query nothing answers

    @property
    def band(self) -> str:
        """strong, fair or weak: how the score reads to a person (weak for every hit of a
        query that nothing in the knowledge base answers)."""
        return "weak" if self.nearest else relevance.band(self.score)

    @property
    def why(self) -> str:
        """Which words of the query (or of its expansions) the hit holds, compared as
        stems; for a hit found by meaning alone, the part of the record it is closest to.
        Worked out when first read (a front-end reads it for the hits it shows)."""
        if self.explain is not None:
            self._why, self.explain = self.explain(), None
        return getattr(self, "_why", "")

    @property
    def body(self) -> str:
        """The text without the title it begins with: what a result shows under its title."""
        if self.text.startswith(self.title):
            return self.text[len(self.title):].lstrip(". ")
        return self.text

    def snippet(self, chars: int) -> str:
        """The body cut at a word to about `chars` characters."""
        body = self.body
        return body if len(body) <= chars else body[:chars].rsplit(" ", 1)[0] + "…"

    @property
    def source_line(self) -> str:
        """"Source title — locator": where to read it in the original."""
        return (self.source_title or "") + (f" — {self.locator}" if self.locator else "")

    def to_json(self) -> dict:
        """The stable JSON shape other tools read (see README, `kb search --json`)."""
        return {"rank": self.rank, "kind": self.kind, "id": self.id, "case": self.case,
                "title": self.title, "text": self.text, "themes": self.themes,
                "stage": self.stage, "outcome": self.outcome, "strength": self.strength,
                "source": {"title": self.source_title, "locator": self.locator},
                "score": round(self.score, 4)}


@dataclass
class Results:
    query: str
    mode: str
    hits: list[Hit]
    seconds: float = 0.0
    notice: str | None = None  # e.g. "semantic search is still loading"
    answered: bool = True      # does anything answer the query closely?
    parsed: Query | None = None

    @property
    def strong(self) -> int:
        """How many hits are strong matches."""
        return sum(1 for h in self.hits if h.band == "strong")

    @property
    def searched_for(self) -> str | None:
        """The query as searched, when spelling corrections changed it."""
        return self.parsed.searched if self.parsed and self.parsed.corrected else None

    def to_json(self) -> dict:
        out = {"query": self.query, "mode": self.mode, "answered": self.answered,
               "hits": [h.to_json() for h in self.hits]}
        if self.notice:
            out["notice"] = self.notice
        return out


@dataclass
class _Index:
    """The vectors in memory, for a database below kb.segments.MIN_ITEMS items."""

    rowids: np.ndarray                 # item rowid of each matrix row
    matrix: np.ndarray                 # (n, dims) float32, L2-normalised
    columns: dict[str, np.ndarray]     # kind, case, stage, outcome, strength per matrix row
    themes: list[frozenset[str]] = field(default_factory=list)

    def mask(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        keep = np.ones(len(self.rowids), dtype=bool)
        for name in ("kind", "case", "stage", "outcome", "strength"):
            allowed = getattr(filters, name)
            if allowed:
                keep &= np.isin(self.columns[name], list(allowed))
        if filters.theme:
            keep &= np.fromiter((bool(t & filters.theme) for t in self.themes), bool, len(self.themes))
        return keep


def _closest(rowids: np.ndarray, cosines: np.ndarray, lessons: np.ndarray,
             best: np.ndarray) -> np.ndarray:
    """Each item's best cosine over its whole text and its lesson parts (field-level
    matching: a question can be close to one part of a lesson and far from the rest):
    `cosines` a row per item of `rowids` (ascending), `best` a row per lesson of `lessons`
    (Parts.best), a column per query vector in both."""
    closest = cosines.copy()
    if len(rowids) and len(lessons):
        at = np.minimum(np.searchsorted(rowids, lessons), len(rowids) - 1)
        present = rowids[at] == lessons
        rows = at[present]
        closest[rows] = np.maximum(closest[rows], best[present])
    return closest


class _Cosines(NamedTuple):
    """What `SearchEngine._cosines` measured of each item, row by row."""
    rowids: np.ndarray
    cosine: np.ndarray    # with the query's vector
    adapted: np.ndarray   # with that vector moved by the adapter (kb/adapter.py)
    closest: np.ndarray   # the item's or its closest lesson part's, with the query's vector
    adapted_closest: np.ndarray


class SearchEngine:
    def __init__(self, db_path: Path, *, embedder: Embedder | None = None,
                 embedder_loader: Callable[[], Embedder] | None = None):
        self.db_path = Path(db_path)
        self._lock = threading.RLock()
        self._embedder = embedder
        self._embedder_loader = embedder_loader
        self._db = Reopener(self.db_path)
        self._db.refresh()
        self._opened()

    # -- the database ---------------------------------------------------------------
    def _opened(self) -> None:
        """A new connection: forget everything read from the old file."""
        self.conn = self._db.conn
        self.meta = read_meta(self.conn)
        self._index: _Index | None = None
        self._parts: Parts | None = None
        self._adapter: np.ndarray | None = None
        self._adapter_read = False
        self._stored: StoredIndex | None = None
        self._stored_present = StoredIndex.present(self.conn)
        self._allowed: dict[Filters, np.ndarray] = {}
        self._common: CommonTerms | None = None
        self._neighbours: Neighbours | None = None
        self._elsewhere: np.ndarray | None = None
        self._glossary: Glossary | None = None
        self._speller: Speller | None = None
        self._cases: dict[str, str] | None = None
        self._last_vector: tuple[str, Future] | None = None
        self._frequencies: dict[str, int] = {}
        self._holding: dict[str, np.ndarray] = {}
        self._stored_frequencies: dict[str, int] | None = None

    def refresh(self) -> bool:
        """Reconnect if the file was rebuilt or ingested into since we opened it."""
        with self._lock:
            if not self._db.refresh():
                return False
            self._opened()
            return True

    @property
    def dimensions(self) -> int:
        """Vector length, as the build recorded it (1 for a database with no vectors)."""
        return int(self.meta.get("dimensions") or 0) or 1

    @property
    def stored(self) -> StoredIndex | None:
        """The stored search index of a large database (kb/segments.py), or None: then
        the vectors are held in memory (`index`) and keywords ranked by FTS5."""
        if not self._stored_present:
            return None
        with self._lock:
            if self._stored is None:
                self._stored = StoredIndex(self.conn)
            return self._stored

    @property
    def index(self) -> _Index:
        with self._lock:
            if self._index is None:
                self._index = self._load_index()
            return self._index

    @property
    def parts(self) -> Parts:
        with self._lock:
            if self._parts is None:
                self._parts = self._load_parts()
            return self._parts

    @property
    def adapter(self) -> np.ndarray | None:
        """The query adapter the build fitted for this model (kb/adapter.py), or None."""
        with self._lock:
            if not self._adapter_read:
                stored = adapter.read(self.conn, self.meta.get("model") or "", self.dimensions)
                self._adapter = stored[1] if stored else None
                self._adapter_read = True
            return self._adapter

    def _load_index(self) -> _Index:
        """Read every vector into one preallocated matrix, row by row, so that loading
        100k passages costs the matrix and not also a copy of every blob."""
        (count,) = self.conn.execute(
            "select count(*) from items join embeddings "
            "on embeddings.kind = items.kind and embeddings.id = items.id").fetchone()
        matrix = np.empty((count, self.dimensions), dtype=np.float32)
        rowids = np.empty(count, dtype=np.int64)
        values: dict[str, list] = {"kind": [], "case": [], "stage": [], "outcome": [],
                                   "strength": []}
        themes: list[frozenset[str]] = []
        cursor = self.conn.execute(
            "select items.item, items.kind, items.\"case\", items.stage, items.outcome, "
            "items.strength, items.themes, embeddings.vector from items join embeddings "
            "on embeddings.kind = items.kind and embeddings.id = items.id "
            "order by items.item")
        for n, (item, kind, case, stage, outcome, strength, item_themes,
                vector) in enumerate(cursor):
            rowids[n] = item
            matrix[n] = np.frombuffer(vector, dtype=DTYPE)
            for name, value in zip(values, (kind, case, stage, outcome, strength)):
                values[name].append(value or "")
            themes.append(frozenset(json.loads(item_themes or "[]")))
        return _Index(rowids=rowids, matrix=matrix, themes=themes,
                      columns={name: np.array(v, dtype=object) for name, v in values.items()})

    def _load_parts(self) -> Parts:
        return read_parts(self.conn, self.dimensions)

    def _allowed_items(self, filters: Filters) -> np.ndarray:
        """The rowids of the items `filters` allow, ascending; read once per filter and
        connection."""
        with self._lock:
            allowed = self._allowed.get(filters)
            if allowed is None:
                where, params = _filter_sql(filters)
                allowed = self._allowed[filters] = np.fromiter(
                    (r[0] for r in self.conn.execute(
                        f"select item from items where 1 {where} order by item", params)), np.int64)
            return allowed

    def _keep(self, filters: Filters) -> Callable[[np.ndarray], np.ndarray] | None:
        """For the stored index: which of some item rowids the filters allow (None: all)."""
        if not filters:
            return None
        allowed = self._allowed_items(filters)

        def keep(items: np.ndarray) -> np.ndarray:
            at = np.minimum(np.searchsorted(allowed, items), max(len(allowed) - 1, 0))
            return allowed[at] == items if len(allowed) else np.zeros(len(items), bool)
        return keep

    # -- the model ------------------------------------------------------------------
    @property
    def embedder_ready(self) -> bool:
        return self._embedder is not None

    def load_embedder(self) -> Embedder:
        """Load the query encoder (about half a second); safe to call from a worker thread.
        The slow load runs outside the lock, so searches made meanwhile are not held up."""
        if self._embedder is None:
            if self._embedder_loader is None:
                raise ModelError("This search engine has no embedding model to load.")
            embedder = self._embedder_loader()
            check_same_model(self.meta.get("model"), embedder.name)
            with self._lock:
                if self._embedder is None:
                    self._embedder = embedder
        return self._embedder

    def warm_up(self) -> None:
        """Load the model, the vectors and the words, and run the model once, so the first
        real semantic search is as fast as the rest (call from a worker thread)."""
        self.load_embedder()
        self.search("lessons learned", mode="semantic", limit=1)

    # -- searching ------------------------------------------------------------------
    def search(self, query: str, *, mode: str = "hybrid", limit: int = 10,
               filters: Filters = Filters(), wait_for_model: bool = True) -> Results:
        """Rank items for `query`. With wait_for_model=False, a semantic or hybrid search
        made before the model is loaded is answered by keyword, with a notice."""
        started = time.perf_counter()
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}: use one of {', '.join(MODES)}.")
        if limit < 1:
            raise QueryError("The limit must be at least 1.")
        notice = None
        effective = mode
        if mode != "keyword" and not self.embedder_ready and not wait_for_model:
            effective, notice = "keyword", "Semantic search is still loading: keyword results for now."
        parsed = self.prepare(query, effective)
        ranked = self.rank(parsed, effective, max(limit * 5, 50), filters)
        hits = self._hits(ranked[:limit], parsed)
        answered = self._answered(parsed, effective, ranked)
        for hit in hits:
            hit.nearest = not answered
        return Results(query=parsed.text, mode=effective, hits=hits,
                       seconds=time.perf_counter() - started, notice=notice,
                       answered=answered, parsed=parsed)

    def _answered(self, query: Query, mode: str, ranked: list[Ranked]) -> bool:
        return (bool(ranked) and query.asks_something
                and relevance.answered(mode, self.answer_signals(query, mode, ranked)))

    def answer_signals(self, query: Query, mode: str, ranked: list[Ranked]) -> relevance.Signals:
        """What the answered decision reads (kb/relevance.py), from the mode's ranking."""
        anchors = self.elsewhere if mode != "keyword" else ()  # keyword has no query vector
        return relevance.Signals(
            cosine=max(r.cosine for r in ranked),  # the candidates hold the best by each measure
            coverage=self.coverage(query, [r.item for r in ranked[:relevance.COVERAGE_HITS]]),
            part=max(r.part for r in ranked),
            elsewhere=(float((anchors @ self._vector(query)).max()) if len(anchors)
                       else relevance.NO_ANCHORS[mode]),
            unknown_name=bool(self.unknown_names(query)))

    @property
    def elsewhere(self) -> np.ndarray:
        """The vectors of the topics this knowledge base does not cover (kb/elsewhere.py):
        (anchors, dims), none for a database built from data without data/elsewhere.yaml."""
        with self._lock:
            if self._elsewhere is None:
                rows = self.conn.execute("select vector from embeddings where kind = ? "
                                         "order by id", [ELSEWHERE_KIND])
                self._elsewhere = from_blobs((r[0] for r in rows), self.dimensions)
            return self._elsewhere

    def unknown_names(self, query: Query) -> list[str]:
        """The names the query gives (kb.query.names: capitalised words inside a sentence,
        acronyms) that no record holds and no glossary entry stands for: a question about
        a place, body or report the knowledge base never mentions ("Hinchingbrooke",
        "CQC") is one it cannot answer."""
        covered = {w for e in query.expansions if e.source != NEIGHBOUR for w in terms(e.phrase)}
        return [name for name in names(query.searched)
                if name.lower() not in covered and not self.documents_with(name.lower())]

    def coverage(self, query: Query, items: list[int]) -> float:
        """The largest share of the query's words (weighted by idf) that one of `items`
        holds, compared as stems: low when the hits share only common words with the
        question, or none of its rare ones."""
        words = query.counted_words
        if not words or not items:
            return 0.0
        weight = self.idf(words)
        held = self.holding(words, np.array(items, dtype=np.int64))
        return float((held @ weight).max() / (weight.sum() or 1.0))

    def idf(self, words: list[str]) -> np.ndarray:
        """Each word's inverse document frequency (by its stem), as coverage weighs it."""
        documents = self.common_terms.documents
        return np.array([math.log((documents + 1) / (self.documents_with(w) + 0.5))
                         for w in words])

    def prepare(self, text: str, mode: str) -> Query:
        """The parsed query and, for the model, the record words nearest to words no record
        uses (kb/neighbours.py)."""
        parsed = self.parse(text)
        if mode == "keyword":
            return parsed
        return parsed.with_expansions(self.neighbours.expansions(parsed.words, self.load_embedder()))

    def parse(self, text: str) -> Query:
        """What was typed as a `Query`: normalised, misspellings corrected, glossary
        expansions found (the model's word neighbours are added by `search`)."""
        text = clean_query(text)
        self.refresh()
        corrections = self.speller.joins(text)
        searched = _corrected(text, corrections)
        misspelt = self.speller.corrections(terms(searched), acronyms=acronyms(searched))
        searched = _corrected(searched, misspelt)
        corrections += misspelt
        return Query(text=text, searched=searched, words=tuple(terms(searched)),
                     corrections=tuple(corrections),
                     expansions=tuple(self.glossary.expansions(searched)))

    def filters(self, **values) -> Filters:
        """Filters from what a user gave (keys or displayed names, any case), checked
        against this database's cases and the vocabularies; QueryError lists valid values."""
        return resolve(values, self.case_names)

    @property
    def case_names(self) -> dict[str, str]:
        with self._lock:
            if self._cases is None:
                self._cases = dict(self.conn.execute("select slug, name from cases order by name"))
            return self._cases

    def rank(self, query: Query, mode: str, depth: int,
             filters: Filters = Filters()) -> list[Ranked]:
        """The mode's own ranking on the one relevance scale, best first."""
        if mode != "keyword":
            self._start_vector(query)
        keyword = dict(self._keyword(query, depth, filters)) if mode != "semantic" else {}
        if mode == "hybrid":
            keyword = relevance.relative_to_best(keyword)
        if mode == "keyword":
            items = np.fromiter(keyword, np.int64, len(keyword))
            kw = np.fromiter(keyword.values(), np.float64, len(keyword))
            cosine = part = coverage = distinct = adapted = adapted_part = np.zeros(len(items))
        else:
            measured = self._cosines(query, filters, depth, list(keyword))
            if not len(measured.rowids):
                return []
            top = min(depth, len(measured.rowids))
            rows = set(np.searchsorted(measured.rowids, list(keyword)).tolist())
            for by in (measured.cosine, measured.closest, measured.adapted_closest):
                rows.update(np.argpartition(-by, top - 1)[:top].tolist())
            rows = np.fromiter(rows, np.int64, len(rows))
            rows = rows[np.isfinite(measured.cosine[rows])]
            items = measured.rowids[rows]
            cosine, part, adapted, adapted_part = (
                values[rows].astype(np.float64) for values in (
                    measured.cosine, measured.closest, measured.adapted,
                    measured.adapted_closest))
            kw = np.array([keyword.get(item, 0.0) for item in items.tolist()], dtype=np.float64)
            coverage, distinct = (self._word_features(query, items, part) if mode == "hybrid"
                                  else (np.zeros(len(items)),) * 2)
        # Scored as one array per feature: a call per candidate cost 0.7 ms a query.
        scores = relevance.relevance(mode, cosine, kw, part, coverage, distinct, adapted,
                                     adapted_part)
        scored = [Ranked(*values) for values in zip(
            items.tolist(), scores.tolist(), cosine.tolist(), kw.tolist(), part.tolist(),
            coverage.tolist(), distinct.tolist(), adapted.tolist(), adapted_part.tolist())]
        scored.sort(key=lambda r: (-r.score, r.item))
        return scored[:depth]

    def _word_features(self, query: Query, items: np.ndarray,
                       closest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hybrid's two word features per candidate (kb/relevance.py): coverage, the share of
        the query's words (as typed or corrected, not expansions) that the item holds, and
        distinct, the share it holds that none of the CONTRAST other candidates closest in
        meaning (`closest`: cosine of the item or its closest part) holds. The keyword side
        scores how well an item matches the words; these say whether it holds the rest of
        the question, and the words that tell it apart from its near siblings."""
        words = query.counted_words
        if not words or not len(items):
            return np.zeros(len(items)), np.zeros(len(items))
        held = self.holding(words, items)
        first = np.argsort(-closest, kind="stable")[:CONTRAST]
        counts = held[first].sum(axis=0)
        others = np.broadcast_to(counts, held.shape).copy()
        others[first] -= held[first]
        return held.mean(axis=1), (held & (others == 0)).mean(axis=1)

    def holding(self, words: list[str], items: np.ndarray) -> np.ndarray:
        """(items, words) booleans: which of the `words` each item holds, as the keyword
        index holds them (Porter stems, title or text): from each word's FTS5 doclist, or
        from the stored index's postings (kb/segments.py)."""
        held = np.zeros((len(items), len(words)), dtype=bool)
        for column, word in enumerate(words):
            holders = self._holders(word)
            if len(holders):
                at = np.minimum(np.searchsorted(holders, items), len(holders) - 1)
                held[:, column] = holders[at] == items
        return held

    def _holders(self, word: str) -> np.ndarray:
        """The rowids of the items holding `word`, ascending; the last HOLDERS_KEPT words'
        are kept (a query's ranking and its answered decision ask for the same words)."""
        with self._lock:
            holders = self._holding.get(word)
            if holders is None:
                if self.stored is not None:
                    holders = self.stored.holding(word, TITLE_WEIGHT)
                else:
                    holders = np.fromiter((r[0] for r in self.conn.execute(
                        "select rowid from items_fts where items_fts match ? order by rowid",
                        [fts_query([word])])), np.int64)
                if len(self._holding) >= HOLDERS_KEPT:
                    self._holding.clear()
                self._holding[word] = holders
            return holders

    @property
    def common_terms(self) -> CommonTerms:
        with self._lock:
            if self._common is None:
                (documents,) = self.conn.execute("select count(*) from items").fetchone()
                frequencies = {}
                if self.stored is not None:
                    frequencies = self.stored_frequencies
                elif documents >= CommonTerms.MIN_DOCUMENTS:
                    frequencies = dict(self.conn.execute("select term, doc from items_fts_vocab"))
                self._common = CommonTerms(frequencies, documents)
            return self._common

    @property
    def stored_frequencies(self) -> dict[str, int]:
        """Items holding each stem, from the stored index (items removed since its last
        merge included). fts5vocab would read every doclist of the FTS index (seconds at
        1M passages; a query's words cost 9 ms at 100k); the postings' lengths are in
        their rows' headers."""
        with self._lock:
            if self._stored_frequencies is None:
                self._stored_frequencies = self.stored.frequencies()
            return self._stored_frequencies

    def documents_with(self, word: str) -> int:
        """How many items hold the word (by its stem), from the FTS vocabulary or the
        stored index; kept."""
        with self._lock:
            count = self._frequencies.get(word)
            if count is None:
                if self.stored is not None:
                    count = self.stored_frequencies.get(_stem(word), 0)
                else:
                    row = self.conn.execute("select doc from items_fts_vocab where term = ?",
                                            [_stem(word)]).fetchone()
                    count = row[0] if row else 0
                self._frequencies[word] = count
            return count

    @property
    def glossary(self) -> Glossary:
        with self._lock:
            if self._glossary is None:
                self._glossary = Glossary.from_json(self.meta.get(GLOSSARY_META))
            return self._glossary

    @property
    def speller(self) -> Speller:
        """Corrects words against the records' words; "known" means the FTS vocabulary
        holds the word's stem."""
        with self._lock:
            if self._speller is None:
                self._speller = Speller(self.neighbours.words, self.documents_with)
            return self._speller

    @property
    def neighbours(self) -> Neighbours:
        with self._lock:
            if self._neighbours is None:
                rows = self.conn.execute("select id, vector from embeddings where kind = ? "
                                         "order by id", [WORD_KIND]).fetchall()
                self._neighbours = Neighbours([r[0] for r in rows],
                                              from_blobs((r[1] for r in rows), self.dimensions))
            return self._neighbours

    def _keyword(self, query: Query, depth: int, filters: Filters) -> list[tuple[int, float]]:
        words = self.common_terms.prune(query.keyword_terms)
        if self.stored is not None:
            rows = self.stored.keyword(words, TITLE_WEIGHT, depth, self._keep(filters))
            return [(item, -bm25 / (1.0 - bm25)) for item, bm25 in rows]
        match = fts_query(words)
        if match is None:
            return []
        where, params = _filter_sql(filters)
        # Join items only to filter: the join costs a third of the time at 100k passages.
        source = "items_fts join items on items.item = items_fts.rowid" if where else "items_fts"
        sql = (f"select items_fts.rowid, bm25(items_fts, {TITLE_WEIGHT}, 1.0) as rank "
               f"from {source} where items_fts match ? {where} order by rank limit ?")
        with self._lock:
            rows = self.conn.execute(sql, [match, *params, depth]).fetchall()
        # bm25 is negative, lower-is-better and unbounded: report x / (1 + x) in 0–1.
        return [(item, -bm25 / (1.0 - bm25)) for item, bm25 in rows]

    def _cosines(self, query: Query, filters: Filters, depth: int,
                 also: list[int] = ()) -> _Cosines:
        """Item rowids and the query's cosines with each and with its closest part, for its
        vector as the model gives it and as the adapter moves it (kb/adapter.py), -inf where
        a filter excludes the item: every item from the matrix in memory; from the stored
        index, the nearest `depth` (at least NEAREST) by its graph, the lessons whose parts
        are closest to either vector, and `also`, each scored from its float32 vector. The
        graph is asked for the nearest of both vectors: semantic ranking reads the adapted
        cosines more than the model's own (with the model tuned on the records, only them),
        and the model's nearest 100 alone held 96% of the exhaustive semantic top ten on the
        segment tests' padded database, where both hold all of it."""
        stored = self.stored
        # Read while the model may still be at work (`rank`): the keyword hits' vectors,
        # and the items a filter allows.
        known = stored.vectors(list(also), self.dimensions) if stored is not None else None
        keep = self._keep(filters) if stored is not None else None
        vector = self._vector(query)
        queries = [vector, adapter.apply(self.adapter, vector)]
        lessons, best = self.parts.lessons, self.parts.best(queries)
        if stored is None:
            index = self.index
            cosines = dot_products(index.matrix, queries)
            closest = _closest(index.rowids, cosines, lessons, best)
            keep = index.mask(filters)
            if keep is not None:
                cosines[~keep] = closest[~keep] = -np.inf
            return _Cosines(index.rowids, *cosines.T, *closest.T)
        wanted = {rowid for each in queries
                  for rowid in self._nearest(each, max(depth, NEAREST), filters)}
        for column in best.T:
            closest_first = lessons[np.argsort(-column, kind="stable")]
            if keep is not None:
                closest_first = closest_first[keep(closest_first)]
            wanted.update(closest_first[:depth].tolist())
        wanted.difference_update(known[0].tolist())
        rowids, found = stored.vectors(list(wanted), self.dimensions)
        rowids, found = np.concatenate([known[0], rowids]), np.concatenate([known[1], found])
        order = np.argsort(rowids)
        rowids, found = rowids[order], found[order]
        cosines = dot_products(found, queries)
        closest = _closest(rowids, cosines, lessons, best)
        if keep is not None:
            excluded = ~keep(rowids)
            cosines[excluded] = closest[excluded] = -np.inf
        return _Cosines(rowids, *cosines.T, *closest.T)

    def _nearest(self, vector: np.ndarray, count: int, filters: Filters) -> list[int]:
        """Candidate rowids from the stored index: the graph's nearest, or every allowed
        item when a filter leaves few (EXACT_FILTERED)."""
        if filters:
            allowed = self._allowed_items(filters)
            if len(allowed) <= EXACT_FILTERED:
                return allowed.tolist()
        return self.stored.nearest(vector, count, self._keep(filters))

    def _vector(self, query: Query) -> np.ndarray:
        """The query's vector (the last one is kept: the why line asks for it again)."""
        return self._start_vector(query).result()

    def _start_vector(self, query: Query) -> Future:
        """The query's vector, being computed on the model's thread (_MODEL_THREADS)
        while this thread goes on with what does not need it: onnxruntime runs outside the
        GIL, so the keyword side costs nothing on top of the model."""
        text = query.semantic_text
        embedder = self.load_embedder()  # outside the lock: a first load takes a while
        with self._lock:
            last = self._last_vector
            if last is None or last[0] != text:
                last = self._last_vector = (text, _MODEL_THREADS.submit(embedder.encode_one, text))
            return last[1]

    def similar(self, kind: str, id: str, *, limit: int = 5, other_cases: bool = True,
                kinds: tuple[str, ...] = ("lesson",)) -> list[Hit]:
        """Items closest in meaning to one item: its curated `related` links first, then the
        nearest neighbours; by default only from other cases ("the same lesson elsewhere")."""
        with self._lock:  # like every query: one connection, shared by the TUI's threads
            self.refresh()
            row = self.conn.execute("select item, \"case\" from items where kind = ? and id = ?",
                                    [kind, id]).fetchone()
            if row is None:
                return []
            filters = Filters.of(kind=kinds)
            if other_cases:
                others = {c for (c,) in self.conn.execute(
                    "select distinct \"case\" from items where \"case\" != ?", [row[1]])}
                filters = Filters.of(kind=kinds, case=others or {""})
            stored = self.stored
            if stored is None:
                index = self.index
                position = int(np.searchsorted(index.rowids, row[0]))
                if position >= len(index.rowids) or index.rowids[position] != row[0]:
                    return []
                rowids, scores = index.rowids, index.matrix @ index.matrix[position]
                keep = index.mask(filters)
            else:
                found, vector = stored.vectors([row[0]], self.dimensions)
                if not len(found):
                    return []
                rowids, vectors = stored.vectors(self._nearest(vector[0], max(limit, NEAREST), filters)
                                                 + self._related_rowids(kind, id), self.dimensions)
                scores, keep = vectors @ vector[0], self._keep(filters)(rowids)
            keep &= rowids != row[0]
            scores = np.where(keep, scores, -np.inf)
            for rowid in self._related_rowids(kind, id):
                at = np.searchsorted(rowids, rowid)
                if at < len(rowids) and rowids[at] == rowid and keep[at]:
                    scores[at] = 2.0  # curated links rank above any cosine
            order = [i for i in np.argsort(-scores)[:limit] if np.isfinite(scores[i])]
            ranked = [Ranked(int(rowids[i]), float(min(scores[i], 1.0)), 0.0, 0.0, 0.0) for i in order]
            return self._hits(ranked, None)

    def _related_rowids(self, kind: str, id: str) -> list[int]:
        if kind != "lesson":
            return []
        with self._lock:
            return [r[0] for r in self.conn.execute(
                "select items.item from lessons, json_each(lessons.related) "
                "join items on items.kind = 'lesson' and items.id = json_each.value "
                "where lessons.id = ?", [id])]

    def _hits(self, ranked: list[Ranked], query: Query | None) -> list[Hit]:
        if not ranked:
            return []
        rowids = [r.item for r in ranked]
        with self._lock:
            cursor = self.conn.execute(
                f"select {', '.join(_HIT_COLUMNS)} from items "
                f"where item in ({', '.join('?' * len(rowids))})", rowids)
            rows = {r.item: r for r in map(_HitRow._make, cursor)}
        hits = []
        for rank, found in enumerate(ranked, start=1):
            r = rows[found.item]
            explain = None
            if query is not None:
                explain = partial(self._why, query, r.kind, r.id, f"{r.title} {r.text}")
            hits.append(Hit(rank=rank, kind=r.kind, id=r.id, case=r.case, title=r.title,
                            text=r.text, themes=json.loads(r.themes or "[]"), stage=r.stage,
                            outcome=r.outcome, strength=r.strength, source_id=r.source, source_title=r.source_title,
                            locator=r.locator, score=found.score, explain=explain))
        return hits

    def _why(self, query: Query, kind: str, id: str, text: str) -> str:
        """"matches conflict, interest; family doctor → GP", or, when no word matched,
        the part of the record closest in meaning to the query. An expansion is named for
        the words it adds: "week → weeks" adds none to a matched "week" (a word neighbour,
        kb/neighbours.py, can be another form of a word the record holds)."""
        words = matching_words(query.words, text)
        matched = {_stem(w.lower()) for w in words}
        expansions = []
        for expansion in query.expansions:
            found = [t for t in matching_words(expansion.terms, text)
                     if _stem(t.lower()) not in matched]
            if found:
                expansions.append(expansion.label(found))
        if words or expansions:
            return "; ".join(filter(None, [f"matches {', '.join(words[:6])}" if words else "",
                                           *expansions[:3]]))
        part = self._closest_part(query, kind, id)
        return f"close in meaning to {part}" if part else "close in meaning"

    def _closest_part(self, query: Query, kind: str, id: str) -> str | None:
        """For a lesson: what happened, its lesson, its recommendation or one of its
        curated questions, whichever is closest in meaning to the query."""
        if kind != "lesson" or not self.embedder_ready:
            return None
        with self._lock:
            row = self.conn.execute("select item, questions from lessons join items on "
                                    "items.kind = 'lesson' and items.id = lessons.id "
                                    "where lessons.id = ?", [id]).fetchone()
        if row is None:
            return None
        parts = self.parts
        mine = np.flatnonzero(parts.items == row[0])
        if not len(mine):
            return None
        best = parts.names[mine[int(np.argmax(parts.vectors[mine] @ self._vector(query)))]]
        if best.startswith("question-"):
            questions = json.loads(row[1] or "[]")
            number = int(best.split("-")[1])
            if number <= len(questions):
                return f"its question “{questions[number - 1]}”"
        return PART_LABELS.get(best)


def _corrected(text: str, corrections: list[tuple[str, str]]) -> str:
    """`text` with each (typed, corrected) pair's typed words replaced, ignoring case."""
    for typed, corrected in corrections:
        text = re.sub(rf"\b{re.escape(typed)}\b", corrected, text, flags=re.IGNORECASE)
    return text


class _HitRow(NamedTuple):
    """The columns of `items` a hit shows."""
    item: int
    kind: str
    id: str
    case: str
    title: str
    text: str
    themes: str | None
    stage: str | None
    outcome: str | None
    source: str | None
    source_title: str | None
    locator: str | None
    strength: str | None


_HIT_COLUMNS = [f'"{name}"' for name in _HitRow._fields]

PART_LABELS = {"event": "what happened", "lesson": "its lesson",
               "recommendation": "its recommendation"}


def matching_words(words, text: str) -> list[str]:
    """The `words` that `text` holds, compared as Porter stems, as the index compares them
    ("partners" holds "partner", never "art"); a one-letter word never counts (the "s" of
    "CCG's" or the "o" of "O'Neill" is not a word)."""
    tokens = set(_TOKEN.findall(text.lower()))
    found = []
    for shown in words:
        word = shown.lower()
        if len(word) < 2:
            continue
        target = _stem(word)
        # Porter changes only endings: a token can share the stem only if it shares the start.
        if word in tokens or any(_stem(t) == target for t in tokens if t[:3] == word[:3]):
            found.append(shown)
    return found


_TOKEN = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stem(word)


def _filter_sql(filters: Filters) -> tuple[str, list]:
    clauses, params = [], []
    for name, column in (("kind", "kind"), ("case", '"case"'), ("stage", "stage"),
                         ("outcome", "outcome"), ("strength", "strength")):
        allowed = sorted(getattr(filters, name))
        if allowed:
            clauses.append(f"items.{column} in ({', '.join('?' * len(allowed))})")
            params += allowed
    if filters.theme:
        allowed = sorted(filters.theme)
        clauses.append("exists (select 1 from json_each(items.themes) where json_each.value "
                       f"in ({', '.join('?' * len(allowed))}))")
        params += allowed
    return "".join(f" and {c}" for c in clauses), params


def open_engine(db_path: Path, *, model_dir: Path | None = None) -> SearchEngine:
    """The engine with the configured model, loaded when first needed."""
    from kb.embeddings import load_embedder

    return SearchEngine(db_path, embedder_loader=lambda: load_embedder(model_dir))
