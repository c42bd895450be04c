"""Writing records, items and embeddings into a database being built or ingested into.

`EmbeddingStore` is the one place that decides what needs embedding: a vector is reused
whenever the same text was embedded by the same model before (in this database or the
one being replaced), so an unchanged record is never embedded twice, and the model is not
even loaded when nothing is new.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import sqlite_utils

from kb.embeddings import Embedder, to_blob
from kb.items import Item
from kb.records import CaseFile, Source, lesson_strength
from kb.signs import sign_rows


def write_sources(db: sqlite_utils.Database, sources: Iterable[Source]) -> None:
    db["sources"].insert_all((s.model_dump() for s in sources), pk="id")


def write_case_file(db: sqlite_utils.Database, case_file: CaseFile,
                    sources: dict[str, Source]) -> None:
    case = case_file.case
    standings = {id: source.standing for id, source in sources.items()}
    row = case.model_dump(exclude={"sources"})
    db["cases"].insert({**row, "partners": json.dumps(case.partners), "stub": 0}, pk="slug")
    db["case_sources"].insert_all(({"case": case.slug, "source": s} for s in case.sources))
    for lesson in case_file.lessons:
        first = lesson.evidence[0]
        db["lessons"].insert({
            **lesson.model_dump(exclude={"evidence", "plan_signs"}), "case": case.slug,
            "themes": json.dumps(lesson.themes), "related": json.dumps(lesson.related),
            "questions": json.dumps(lesson.questions),
            "strength": lesson_strength(lesson, standings),
            "source": first.source, "locator": first.locator})
        db["evidence"].insert_all({"lesson": lesson.id, **e.model_dump()} for e in lesson.evidence)
        db["plan_signs"].insert_all(sign_rows(lesson))
    db["facts"].insert_all(({**f.model_dump(), "case": case.slug} for f in case_file.facts))


def write_items(db: sqlite_utils.Database, items: Iterable[Item]) -> None:
    """Insert items with rowids from `first_free_item`."""
    db["items"].insert_all(({"item": n, **item.row()}
                            for n, item in enumerate(items, first_free_item(db.conn))),
                           batch_size=500)


def first_free_item(conn: sqlite3.Connection) -> int:
    """The rowid for the next item: above every one used before, even by items since
    removed. The stored search index (kb/segments.py) keys passages by rowid, and SQLite
    would otherwise give a removed last item's rowid to the next one."""
    (used,) = conn.execute("select max(coalesce((select max(item) from items), 0), "
                           "coalesce((select max(last) from search_segments), 0))").fetchone()
    return used + 1


@dataclass
class EmbedReport:
    reused: int = 0
    embedded: int = 0
    seconds: float = 0.0  # time spent in the model alone


class EmbeddingStore:
    """Vectors for items, keyed by (kind, id), tagged with model and content hash."""

    def __init__(self, model: str, load_embedder: Callable[[], Embedder]):
        self.model = model
        self._load_embedder = load_embedder
        self._embedder: Embedder | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._load_embedder()
        return self._embedder

    def known_vectors(self, conn: sqlite3.Connection | None, hashes: set[str]) -> dict[str, bytes]:
        """Vectors already computed by this model for any of `hashes`, from `conn`."""
        if conn is None or not hashes:
            return {}
        found: dict[str, bytes] = {}
        wanted = list(hashes)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            sql = (f"select content_hash, vector from embeddings where model = ? "
                   f"and content_hash in ({', '.join('?' * len(chunk))})")
            found.update(conn.execute(sql, [self.model, *chunk]))
        return found

    def plan(self, items: list[Item], *,
             reuse_from: Iterable[sqlite3.Connection | None] = ()) -> "EmbedPlan":
        """Find the vectors that can be reused; what is left must be embedded."""
        hashes = {item.content_hash for item in items}
        known: dict[str, bytes] = {}
        for conn in reuse_from:
            known.update(self.known_vectors(conn, hashes - known.keys()))
        # Same text under two ids is embedded once.
        texts = {i.content_hash: i.text for i in items if i.content_hash not in known}
        return EmbedPlan(known=known, texts=texts,
                         reused=sum(1 for i in items if i.content_hash in known))

    def store(self, db: sqlite_utils.Database, items: list[Item], plan: "EmbedPlan", *,
              progress: Callable[[int], None] | None = None) -> EmbedReport:
        """Embed what `plan` says is new, then write a vector row for every item."""
        vectors, report = self.embed(items, plan, progress=progress)
        self.write(db, items, vectors)
        return report

    def embed(self, items: list[Item], plan: "EmbedPlan", *,
              progress: Callable[[int], None] | None = None) -> tuple[dict[str, bytes], EmbedReport]:
        """The vector of every item by content hash: reused, or computed now. No database
        is touched, so an ingest embeds before it takes the write lock."""
        report = EmbedReport(reused=plan.reused, embedded=len(items) - plan.reused)
        vectors = dict(plan.known)
        if plan.texts:
            started = time.perf_counter()
            encoded = self.embedder.encode(list(plan.texts.values()), progress=progress)
            report.seconds = time.perf_counter() - started
            vectors.update(zip(plan.texts.keys(), (to_blob(v) for v in encoded)))
        return vectors, report

    def write(self, db: sqlite_utils.Database, items: list[Item], vectors: dict[str, bytes]) -> None:
        db["embeddings"].upsert_all(
            ({"kind": i.kind, "id": i.id, "model": self.model, "content_hash": i.content_hash,
              "vector": vectors[i.content_hash]} for i in items),
            pk=("kind", "id"), batch_size=500)


@dataclass
class EmbedPlan:
    known: dict[str, bytes]
    texts: dict[str, str]
    reused: int

    @property
    def to_embed(self) -> int:
        return len(self.texts)
