"""`kb build`: the database from data/, rebuilt whole and swapped in atomically.

A build reads and validates every case file, writes a fresh database to a temporary file,
carries over the documents a user has ingested (and every vector already computed), embeds
only text that is new, indexes it, and renames the file into place. When neither data/ nor
the model changed since the last build, it stops before opening anything heavy.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from kb.database import atomic_replace, connect_readonly, read_meta
from kb.embeddings import load_embedder, model_name, resolve_model_dir
from kb.errors import DatabaseError
from kb.items import Item, case_file_items, passage_item
from kb.neighbours import word_items
from kb.signs import sign_items
from kb.schema import SCHEMA_VERSION, create_search_indexes, create_tables
from kb.store import EmbedReport, EmbeddingStore, write_case_file, write_items, write_sources
from ingest.casefiles import Corpus, read_corpus
from ingest.restore import pending, restore_ingested

@dataclass
class BuildReport:
    db: Path
    up_to_date: bool = False
    cases: int = 0
    lessons: int = 0
    facts: int = 0
    passages: int = 0
    restored: list[str] = field(default_factory=list)  # ingested documents read again
    missing: list[str] = field(default_factory=list)   # recorded ones that could not be
    embed: EmbedReport = field(default_factory=EmbedReport)  # records
    words: EmbedReport = field(default_factory=EmbedReport)  # the records' vocabulary
    seconds: float = 0.0

    def summary(self) -> str:
        if self.up_to_date:
            return f"{self.db} is up to date with data/ (nothing to do in {self.seconds:.2f} s)"
        return (f"built {self.lessons} lessons and {self.facts} facts from {self.cases} cases"
                + (f", kept {self.passages} ingested passages" if self.passages else "")
                + f" in {self.seconds:.1f} s; embedded {self.embed.embedded}, "
                f"reused {self.embed.reused}"
                + (f" (and {self.words.embedded} new words)" if self.words.embedded else "")
                + f" → {self.db}"
                + (f"; read {len(self.restored)} ingested document(s) again from their files"
                   if self.restored else "")
                + "".join(f"\n  not rebuilt: {m}" for m in self.missing))


# Bump when what a build writes changes without a schema change (item texts, word vectors),
# so that existing databases are rebuilt rather than reported up to date.
BUILD_FORMAT = 3


def fingerprint(files: list[Path], model: str) -> str:
    digest = hashlib.sha256(
        f"schema {SCHEMA_VERSION}\nformat {BUILD_FORMAT}\nmodel {model}\n".encode())
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build(db_path: Path, data_dir: Path, *, force: bool = False, model_dir: Path | None = None,
          progress=None) -> BuildReport:
    """Build `db_path` from `data_dir`. `progress(total=…)` / `progress(advance=…)` is
    told about embedding work when there is any."""
    started = time.perf_counter()
    db_path = Path(db_path)
    model_dir = resolve_model_dir(model_dir)
    model = model_name(model_dir)
    corpus = read_corpus(data_dir)
    stamp = fingerprint(corpus.files, model)
    old = _open_previous(db_path)
    report = BuildReport(db=db_path)
    if old is not None and not force and read_meta(old).get("fingerprint") == stamp \
            and _carried_unchanged(old) and not pending(old, data_dir):
        old.close()
        report.up_to_date, report.seconds = True, time.perf_counter() - started
        return report

    store = EmbeddingStore(model, lambda: load_embedder(model_dir))
    try:
        with atomic_replace(db_path) as tmp:
            db = sqlite_utils.Database(tmp)
            create_tables(db)
            with db.conn:
                items = _write_corpus(db, corpus)
                carried = _carry_over(db, old)
                restored = restore_ingested(db, data_dir, lambda: store.embedder)
                items += carried + restored.items
                write_items(db, items)
                words = word_items(items)  # vectors only, no items rows: kb/neighbours.py
                plan = store.plan(items, reuse_from=[old])
                words += sign_items(corpus.cases)  # vectors only: kb/signs.py
                word_plan = store.plan(words, reuse_from=[old])
                if progress and plan.to_embed + word_plan.to_embed:
                    progress(total=plan.to_embed + word_plan.to_embed)
                advance = (lambda n: progress(advance=n)) if progress else None
                report.embed = store.store(db, items, plan, progress=advance)
                report.words = store.store(db, words, word_plan, progress=advance)
                create_search_indexes(db)
                db["meta"].insert_all([
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "fingerprint", "value": stamp},
                    {"key": "model", "value": model},
                    {"key": "dimensions", "value": str(_dimensions(db))},
                    {"key": "built_at", "value": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                ], replace=True)
            db.conn.execute("vacuum")
            db.close()
    finally:
        if old is not None:
            old.close()
    report.cases, report.lessons, report.facts = (len(corpus.cases), corpus.lesson_count,
                                                  corpus.fact_count)
    report.passages = sum(1 for i in carried + restored.items if i.kind == "passage")
    report.restored, report.missing = restored.documents, restored.missing
    report.seconds = time.perf_counter() - started
    return report


def _open_previous(db_path: Path) -> sqlite3.Connection | None:
    """The database being replaced, if it is one of ours: a source of reusable vectors."""
    try:
        return connect_readonly(db_path)
    except DatabaseError:
        return None


def _carried_unchanged(old: sqlite3.Connection) -> bool:
    """Ingested passages are part of the build too: every one must already be indexed."""
    (missing,) = old.execute(
        "select count(*) from passages where id not in "
        "(select id from items where kind = 'passage')").fetchone()
    return missing == 0


def _write_corpus(db: sqlite_utils.Database, corpus: Corpus) -> list[Item]:
    write_sources(db, corpus.sources)
    sources = {s.id: s for s in corpus.sources}
    items: list[Item] = []
    for case_file in corpus.cases:
        write_case_file(db, case_file)
        items += case_file_items(case_file, sources)
    return items


def _carry_over(db: sqlite_utils.Database, old: sqlite3.Connection | None) -> list[Item]:
    """Copy ingested documents, passages and candidate lessons from the old database;
    stub any case that exists only because a document was ingested for it."""
    if old is None:
        return []
    old.row_factory = sqlite3.Row
    known_cases = {r[0] for r in db.execute("select slug from cases")}
    documents = {row["id"]: dict(row) for row in old.execute("select * from documents")}
    for case in {d["case"] for d in documents.values()} - known_cases:
        db["cases"].insert(dict(old.execute("select * from cases where slug = ?", [case]).fetchone()))
    db["documents"].insert_all(documents.values())
    passages = [dict(r) for r in old.execute("select * from passages order by document, ordinal")]
    db["passages"].insert_all(passages, batch_size=500)
    db["candidates"].insert_all((dict(r) for r in old.execute("select * from candidates")),
                                batch_size=500)
    old.row_factory = None
    return [passage_item(p, documents[p["document"]]) for p in passages]


def _dimensions(db: sqlite_utils.Database) -> int:
    row = db.execute("select length(vector) from embeddings limit 1").fetchone()
    return row[0] // 4 if row else 0
