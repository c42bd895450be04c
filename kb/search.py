"""The search engine: keyword (FTS5 bm25), semantic (cosine) and hybrid (rank fusion).

One engine serves the CLI, the TUI and Datasette, so a query ranks the same everywhere.
It reads the database read-only, keeps the vectors in one float32 matrix (a brute-force
scan over 100k × 384 takes milliseconds: no vector index needed at this size), and
reloads by itself when a build or an ingest changes the file.

The embedder is loaded on demand. Interactive front-ends load it in the background
(`load_embedder`) and meanwhile get keyword results with a notice, never a wait.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from kb.database import connect_readonly, read_meta, signature
from kb.embeddings import DTYPE, Embedder, check_same_model, from_blobs
from kb.errors import ModelError, QueryError
from kb.glossary import expansion
from kb.neighbours import KIND as WORD_KIND, Neighbours
from kb.query import CommonTerms, fts_query, terms

MODES = ("hybrid", "semantic", "keyword")
RRF_K = 10  # reciprocal rank fusion constant: 10 beat the usual 60 in bench/retrieval.py
MAX_QUERY_CHARS = 2000
TITLE_WEIGHT = 4.0  # bm25 weight of an item's title against its text


@dataclass(frozen=True)
class Filters:
    """Restrict results; each field is a set of allowed values, empty meaning any."""

    case: frozenset[str] = frozenset()
    theme: frozenset[str] = frozenset()
    stage: frozenset[str] = frozenset()
    kind: frozenset[str] = frozenset()
    outcome: frozenset[str] = frozenset()

    @classmethod
    def of(cls, **values) -> "Filters":
        def norm(v):
            if not v:
                return frozenset()
            return frozenset([v] if isinstance(v, str) else v)
        return cls(**{k: norm(v) for k, v in values.items()})

    def __bool__(self) -> bool:
        return any((self.case, self.theme, self.stage, self.kind, self.outcome))


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
    score: float
    why: str = ""

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

    def to_json(self) -> dict:
        out = {"query": self.query, "mode": self.mode, "hits": [h.to_json() for h in self.hits]}
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
        self._connect()

    # -- the database ---------------------------------------------------------------
    def _connect(self) -> None:
        self._signature = signature(self.db_path)
        self.conn = connect_readonly(self.db_path)
        self.meta = read_meta(self.conn)
        self._index: _Index | None = None
        self._common: CommonTerms | None = None
        self._neighbours: Neighbours | None = None

    def refresh(self) -> bool:
        """Reconnect if the file was rebuilt or ingested into since we opened it."""
        with self._lock:
            if signature(self.db_path) == self._signature:
                return False
            self.conn.close()
            self._connect()
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
            "items.themes, embeddings.vector from items join embeddings "
            "on embeddings.kind = items.kind and embeddings.id = items.id "
            "order by items.item")
        for n, (item, kind, case, stage, outcome, item_themes, vector) in enumerate(cursor):
            rowids[n] = item
            matrix[n] = np.frombuffer(vector, dtype=DTYPE)
            for name, value in zip(values, (kind, case, stage, outcome)):
                values[name].append(value or "")
            themes.append(frozenset(json.loads(item_themes or "[]")))
        return _Index(rowids=rowids, matrix=matrix, themes=themes,
                      columns={name: np.array(v, dtype=object) for name, v in values.items()})

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
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not query:
            raise QueryError("The query is empty: type some words to search for.")
        if limit < 1:
            raise QueryError("The limit must be at least 1.")
        self.refresh()
        notice = None
        effective = mode
        if mode != "keyword" and not self.embedder_ready and not wait_for_model:
            effective, notice = "keyword", "Semantic search is still loading: keyword results for now."
        depth = max(limit * 5, 50)
        expanded = self._expand(query, semantic=effective != "keyword")
        if effective == "keyword":
            ranked = self._keyword(expanded, depth, filters)
        elif effective == "semantic":
            ranked = self._semantic(expanded, depth, filters)
        else:
            ranked = _fuse(self._keyword(expanded, depth, filters),
                           self._semantic(expanded, depth, filters))
        hits = self._hits(ranked[:limit], query)
        return Results(query=query, mode=effective, hits=hits,
                       seconds=time.perf_counter() - started, notice=notice)

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

    def _expand(self, query: str, *, semantic: bool) -> str:
        """The query plus the commissioning terms its everyday words stand for (glossary)
        and, when the model is at hand, the record words nearest to its unknown words."""
        extra = [expansion(query)]
        if semantic:
            extra.append(self.neighbours.expansion(query, self.load_embedder()))
        return " ".join([query, *filter(None, extra)])

    @property
    def neighbours(self) -> Neighbours:
        with self._lock:
            if self._neighbours is None:
                rows = self.conn.execute("select id, vector from embeddings where kind = ? "
                                         "order by id", [WORD_KIND]).fetchall()
                self._neighbours = Neighbours([r[0] for r in rows],
                                              from_blobs((r[1] for r in rows), self.dimensions))
            return self._neighbours

    def _keyword(self, query: str, depth: int, filters: Filters) -> list[tuple[int, float]]:
        match = fts_query(self.common_terms.prune(terms(query)))
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

    def _semantic(self, query: str, depth: int, filters: Filters) -> list[tuple[int, float]]:
        vector = self.load_embedder().encode_one(query)
        index = self.index
        if not len(index.rowids):
            return []
        scores = index.matrix @ vector
        keep = index.mask(filters)
        if keep is not None:
            scores = np.where(keep, scores, -np.inf)
        depth = min(depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(index.rowids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]

    def similar(self, kind: str, id: str, *, limit: int = 5, other_cases: bool = True,
                kinds: tuple[str, ...] = ("lesson",)) -> list[Hit]:
        """Items closest in meaning to one item: its curated `related` links first, then the
        nearest neighbours; by default only from other cases ("the same lesson elsewhere")."""
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
        return self._hits(ranked, "")

    def _related_rowids(self, kind: str, id: str) -> list[int]:
        if kind != "lesson":
            return []
        with self._lock:
            return [r[0] for r in self.conn.execute(
                "select items.item from lessons, json_each(lessons.related) "
                "join items on items.kind = 'lesson' and items.id = json_each.value "
                "where lessons.id = ?", [id])]

    def _hits(self, ranked: list[tuple[int, float]], query: str) -> list[Hit]:
        if not ranked:
            return []
        rowids = [r for r, _ in ranked]
        with self._lock:
            rows = {r[0]: r for r in self.conn.execute(
                "select item, kind, id, \"case\", title, text, themes, stage, outcome, source, "
                f"source_title, locator from items where item in ({', '.join('?' * len(rowids))})",
                rowids)}
        words = terms(query) if query else []
        hits = []
        for rank, (rowid, score) in enumerate(ranked, start=1):
            r = rows[rowid]
            hits.append(Hit(rank=rank, kind=r[1], id=r[2], case=r[3], title=r[4], text=r[5],
                            themes=json.loads(r[6] or "[]"), stage=r[7], outcome=r[8],
                            source_id=r[9], source_title=r[10], locator=r[11], score=score,
                            why=_why(words, f"{r[4]} {r[5]}".lower())))
        return hits


def _fuse(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion, scaled so that first in every ranking scores 1.0."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for position, (item, _) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (RRF_K + position)
    best = len(rankings) / (RRF_K + 1)
    return sorted(((item, score / best) for item, score in fused.items()),
                  key=lambda pair: -pair[1])


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


def _why(words: list[str], haystack: str) -> str:
    matched = [w for w in words if w in haystack]
    return f"matches {', '.join(matched[:5])}" if matched else "close in meaning"


def open_engine(db_path: Path, *, model_dir: Path | None = None) -> SearchEngine:
    """The engine with the configured model, loaded when first needed."""
    from kb.embeddings import load_embedder

    return SearchEngine(db_path, embedder_loader=lambda: load_embedder(model_dir))
