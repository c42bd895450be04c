"""The search engine: keyword (FTS5 bm25), semantic (cosine) and hybrid (a learned blend).

One engine serves the CLI, the TUI and Datasette, so a query ranks, scores, explains and
abstains the same everywhere. It reads the database read-only, keeps the vectors in one
float32 matrix (a brute-force scan over 100k × 384 takes milliseconds: no vector index
needed at this size), and reloads by itself when a build or an ingest changes the file.

A search parses what was typed once into a `Query` (kb/query.py): normalised, misspellings
corrected against the index (kb/spelling.py), expanded with the glossary and, for the
model, with the record words nearest to words no record uses. Every hit is scored on one
scale for every mode (kb/relevance.py) and carries its band and a true "why" line; the
results say whether anything answers the question closely (`answered`).

The embedder is loaded on demand. Interactive front-ends load it in the background
(`load_embedder`) and meanwhile get keyword results with a notice, never a wait.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable

import numpy as np

from kb import relevance
from kb.database import Reopener, read_meta
from kb.embeddings import DTYPE, Embedder, check_same_model, from_blobs
from kb.errors import ModelError, QueryError
from kb.filters import Filters, resolve
from kb.glossary import META_KEY as GLOSSARY_META, Glossary
from kb.items import PART_KIND
from kb.neighbours import KIND as WORD_KIND, Neighbours
from kb.query import MAX_QUERY_CHARS, CommonTerms, Query, clean_query, fts_query, stem, terms
from kb.spelling import Speller

__all__ = ["MODES", "MAX_QUERY_CHARS", "Filters", "Hit", "Results", "SearchEngine", "open_engine"]

MODES = ("hybrid", "semantic", "keyword")
TITLE_WEIGHT = 4.0  # bm25 weight of an item's title against its text


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
                "stage": self.stage, "outcome": self.outcome,
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
    """What the engine holds in memory for one version of the database file."""

    rowids: np.ndarray                 # item rowid of each matrix row
    matrix: np.ndarray                 # (n, dims) float32, L2-normalised
    columns: dict[str, np.ndarray]     # kind, case, stage, outcome per matrix row
    themes: list[frozenset[str]] = field(default_factory=list)
    # The lessons' parts (kb/items.py): each part's vector, name and its lesson's matrix row.
    parts: np.ndarray = field(default_factory=lambda: np.empty((0, 1), dtype=np.float32))
    part_names: list[str] = field(default_factory=list)
    part_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def closest(self, cosines: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Each item's best cosine over its whole text and its parts (field-level
        matching: a question can be close to one part of a lesson and far from the rest)."""
        closest = cosines.copy()
        if len(self.part_rows):
            np.maximum.at(closest, self.part_rows, self.parts @ vector)
        return closest

    def mask(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        keep = np.ones(len(self.rowids), dtype=bool)
        for name in ("kind", "case", "stage", "outcome"):
            allowed = getattr(filters, name)
            if allowed:
                keep &= np.isin(self.columns[name], list(allowed))
        if filters.theme:
            keep &= np.fromiter((bool(t & filters.theme) for t in self.themes), bool, len(self.themes))
        return keep


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
        self._common: CommonTerms | None = None
        self._neighbours: Neighbours | None = None
        self._glossary: Glossary | None = None
        self._speller: Speller | None = None
        self._cases: dict[str, str] | None = None
        self._last_vector: tuple[str, np.ndarray] | None = None
        self._frequencies: dict[str, int] = {}

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
    def index(self) -> _Index:
        with self._lock:
            if self._index is None:
                self._index = self._load_index()
            return self._index

    def _load_index(self) -> _Index:
        """Read every vector into one preallocated matrix, row by row, so that loading
        100k passages costs the matrix and not also a copy of every blob."""
        (count,) = self.conn.execute(
            "select count(*) from items join embeddings "
            "on embeddings.kind = items.kind and embeddings.id = items.id").fetchone()
        matrix = np.empty((count, self.dimensions), dtype=np.float32)
        rowids = np.empty(count, dtype=np.int64)
        values: dict[str, list] = {"kind": [], "case": [], "stage": [], "outcome": []}
        themes: list[frozenset[str]] = []
        cursor = self.conn.execute(
            "select items.item, items.kind, items.\"case\", items.stage, items.outcome, "
            "items.themes, embeddings.vector, items.id from items join embeddings "
            "on embeddings.kind = items.kind and embeddings.id = items.id "
            "order by items.item")
        lessons: dict[str, int] = {}  # lesson id → matrix row
        for n, (item, kind, case, stage, outcome, item_themes, vector, id) in enumerate(cursor):
            rowids[n] = item
            if kind == "lesson":
                lessons[id] = n
            matrix[n] = np.frombuffer(vector, dtype=DTYPE)
            for name, value in zip(values, (kind, case, stage, outcome)):
                values[name].append(value or "")
            themes.append(frozenset(json.loads(item_themes or "[]")))
        names, rows, vectors = [], [], []
        for id, vector in self.conn.execute("select id, vector from embeddings where kind = ? "
                                            "order by id", [PART_KIND]):
            lesson, _, name = id.partition("#")
            if lesson in lessons:
                names.append(name)
                rows.append(lessons[lesson])
                vectors.append(vector)
        return _Index(rowids=rowids, matrix=matrix, themes=themes,
                      columns={name: np.array(v, dtype=object) for name, v in values.items()},
                      parts=from_blobs(vectors, self.dimensions), part_names=names,
                      part_rows=np.array(rows, dtype=np.int64))

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

    def _answered(self, query: Query, mode: str, ranked: list[tuple]) -> bool:
        if not ranked:
            return False
        cosine = max(r[2] for r in ranked)  # the candidates hold the best by each measure
        part = max(r[4] for r in ranked)
        covered = self.coverage(query, [r[0] for r in ranked[:relevance.COVERAGE_HITS]])
        return relevance.answered(mode, cosine, covered, part)

    def coverage(self, query: Query, items: list[int]) -> float:
        """The largest share of the query's words (weighted by idf) that one of `items`
        holds, compared as stems: low when the hits share only common words with the
        question, or none of its rare ones."""
        words = [w for w in query.words if len(w) > 1]
        if not words or not items:
            return 0.0
        with self._lock:
            texts = [t for (t,) in self.conn.execute(
                "select title || ' ' || text from items where item in "
                f"({', '.join('?' * len(items))})", items)]
        documents = self.common_terms.documents
        weight = {w: math.log((documents + 1) / (self.documents_with(w) + 0.5)) for w in words}
        total = sum(weight.values()) or 1.0
        return max(sum(weight[w] for w in matching_words(words, text)) / total for text in texts)

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
        corrections = self.speller.corrections(terms(text))
        searched = text
        for typed, corrected in corrections:
            searched = re.sub(rf"\b{re.escape(typed)}\b", corrected, searched, flags=re.IGNORECASE)
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
             filters: Filters = Filters()) -> list[tuple[int, float, float, float, float]]:
        """(item rowid, relevance, cosine, keyword score, closest-part cosine), best first:
        the mode's own ranking, on the one relevance scale."""
        keyword = dict(self._keyword(query, depth, filters)) if mode != "semantic" else {}
        if mode == "keyword":
            scored = [(item, relevance.relevance(mode, 0.0, kw, 0.0), 0.0, kw, 0.0)
                      for item, kw in keyword.items()]
        else:
            index = self.index
            if not len(index.rowids):
                return []
            cosines, closest = self._cosines(query, filters)
            top = min(depth, len(cosines))
            rows = set(np.argpartition(-cosines, top - 1)[:top].tolist())
            rows.update(np.argpartition(-closest, top - 1)[:top].tolist())
            rows.update(np.searchsorted(index.rowids, list(keyword)).tolist())
            scored = []
            for row in rows:
                cosine, part = float(cosines[row]), float(closest[row])
                if not np.isfinite(cosine):
                    continue
                item = int(index.rowids[row])
                kw = keyword.get(item, 0.0)
                scored.append((item, relevance.relevance(mode, cosine, kw, part), cosine, kw, part))
        scored.sort(key=lambda r: (-r[1], r[0]))
        return scored[:depth]

    @property
    def common_terms(self) -> CommonTerms:
        with self._lock:
            if self._common is None:
                (documents,) = self.conn.execute("select count(*) from items").fetchone()
                frequencies = {}
                if documents >= CommonTerms.MIN_DOCUMENTS:
                    frequencies = dict(self.conn.execute("select term, doc from items_fts_vocab"))
                self._common = CommonTerms(frequencies, documents)
            return self._common

    def documents_with(self, word: str) -> int:
        """How many items hold the word (by its stem), from the FTS vocabulary; kept."""
        with self._lock:
            count = self._frequencies.get(word)
            if count is None:
                row = self.conn.execute("select doc from items_fts_vocab where term = ?",
                                        [_stem(word)]).fetchone()
                count = self._frequencies[word] = row[0] if row else 0
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
        match = fts_query(self.common_terms.prune(query.keyword_terms))
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

    def _cosines(self, query: Query, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """The query's cosine with every item, and with its closest part (-inf where a
        filter excludes the item)."""
        vector = self._vector(query)
        index = self.index
        cosines = index.matrix @ vector
        closest = index.closest(cosines, vector)
        keep = index.mask(filters)
        if keep is not None:
            cosines = np.where(keep, cosines, -np.inf)
            closest = np.where(keep, closest, -np.inf)
        return cosines, closest

    def _vector(self, query: Query) -> np.ndarray:
        """The query's vector (the last one is kept: the why line asks for it again)."""
        text = query.semantic_text
        last = self._last_vector
        if last is None or last[0] != text:
            last = self._last_vector = (text, self.load_embedder().encode_one(text))
        return last[1]

    def similar(self, kind: str, id: str, *, limit: int = 5, other_cases: bool = True,
                kinds: tuple[str, ...] = ("lesson",)) -> list[Hit]:
        """Items closest in meaning to one item: its curated `related` links first, then the
        nearest neighbours; by default only from other cases ("the same lesson elsewhere")."""
        with self._lock:  # like every query: one connection, shared by the TUI's threads
            self.refresh()
            index = self.index
            row = self.conn.execute("select item, \"case\" from items where kind = ? and id = ?",
                                    [kind, id]).fetchone()
            if row is None:
                return []
            position = int(np.searchsorted(index.rowids, row[0]))
            if position >= len(index.rowids) or index.rowids[position] != row[0]:
                return []
            scores = index.matrix @ index.matrix[position]
            keep = np.isin(index.columns["kind"], list(kinds))
            keep &= index.rowids != row[0]
            if other_cases:
                keep &= index.columns["case"] != row[1]
            scores = np.where(keep, scores, -np.inf)
            for rowid in self._related_rowids(kind, id):
                at = np.searchsorted(index.rowids, rowid)
                if at < len(index.rowids) and index.rowids[at] == rowid and keep[at]:
                    scores[at] = 2.0  # curated links rank above any cosine
            order = [i for i in np.argsort(-scores)[:limit] if np.isfinite(scores[i])]
            ranked = [(int(index.rowids[i]), float(min(scores[i], 1.0))) for i in order]
            return self._hits(ranked, None)

    def _related_rowids(self, kind: str, id: str) -> list[int]:
        if kind != "lesson":
            return []
        with self._lock:
            return [r[0] for r in self.conn.execute(
                "select items.item from lessons, json_each(lessons.related) "
                "join items on items.kind = 'lesson' and items.id = json_each.value "
                "where lessons.id = ?", [id])]

    def _hits(self, ranked: list[tuple], query: Query | None) -> list[Hit]:
        if not ranked:
            return []
        rowids = [r[0] for r in ranked]
        with self._lock:
            rows = {r[0]: r for r in self.conn.execute(
                "select item, kind, id, \"case\", title, text, themes, stage, outcome, source, "
                f"source_title, locator from items where item in ({', '.join('?' * len(rowids))})",
                rowids)}
        hits = []
        for rank, (rowid, score, *_) in enumerate(ranked, start=1):
            r = rows[rowid]
            explain = None
            if query is not None:
                explain = partial(self._why, query, r[1], r[2], f"{r[4]} {r[5]}")
            hits.append(Hit(rank=rank, kind=r[1], id=r[2], case=r[3], title=r[4], text=r[5],
                            themes=json.loads(r[6] or "[]"), stage=r[7], outcome=r[8],
                            source_id=r[9], source_title=r[10], locator=r[11], score=score,
                            explain=explain))
        return hits

    def _why(self, query: Query, kind: str, id: str, text: str) -> str:
        """"matches conflict, interest; family doctor → GP", or, when no word matched,
        the part of the record closest in meaning to the query."""
        words = matching_words(query.words, text)
        expansions = []
        for expansion in query.expansions:
            found = matching_words(expansion.terms, text)
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
        index = self.index
        with self._lock:
            row = self.conn.execute("select item, questions from lessons join items on "
                                    "items.kind = 'lesson' and items.id = lessons.id "
                                    "where lessons.id = ?", [id]).fetchone()
        if row is None:
            return None
        position = int(np.searchsorted(index.rowids, row[0]))
        mine = np.flatnonzero(index.part_rows == position)
        if not len(mine):
            return None
        best = index.part_names[mine[int(np.argmax(index.parts[mine] @ self._vector(query)))]]
        if best.startswith("question-"):
            questions = json.loads(row[1] or "[]")
            number = int(best.split("-")[1])
            if number <= len(questions):
                return f"its question “{questions[number - 1]}”"
        return PART_LABELS.get(best)


PART_LABELS = {"event": "what happened", "lesson": "its lesson",
               "recommendation": "its recommendation"}


def matching_words(words, text: str) -> list[str]:
    """The `words` that `text` holds, compared as Porter stems, as the index compares them
    ("partners" holds "partner", never "art"); a one-letter word never counts (the "s" of
    "CCG's" is not a word)."""
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
                         ("outcome", "outcome")):
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
