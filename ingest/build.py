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

from kb.database import (APPLICATION_ID, atomic_replace, connect_readonly, is_lessons_database,
                         journal, read_meta, recover, writer_lock)
from kb.embeddings import load_embedder, model_name, resolve_model_dir
from kb.errors import DatabaseError
from kb.items import Item, case_file_items, part_items, passage_item, read_parts
from kb.elsewhere import anchor_items
from kb.glossary import META_KEY as GLOSSARY_META
from kb.neighbours import word_items
from kb.signs import sign_items
from kb.schema import SCHEMA_VERSION, create_search_indexes, create_tables
from kb import adapter, segments
from kb.casefiles import Corpus, read_corpus
from kb.embedding_store import EmbedReport, EmbeddingStore, write_case_file, write_items, write_sources
from ingest.manifest import Manifest
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
    unrecorded: list[str] = field(default_factory=list)  # in the old database, not in data/
    damaged: str = ""  # why the previous database could not be kept as it was
    embed: EmbedReport = field(default_factory=EmbedReport)  # records
    words: EmbedReport = field(default_factory=EmbedReport)  # the records' vocabulary
    adapter: str = ""  # what became of the query adapter (kb/adapter.py)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.up_to_date:
            return f"{self.db} is up to date with data/ (nothing to do in {self.seconds:.2f} s)"
        return ((f"{self.db} could not be kept as it was ({self.damaged}): rebuilt it\n"
                 if self.damaged else "")
                + f"built {self.lessons} lessons and {self.facts} facts from {self.cases} cases"
                + (f", kept {self.passages} ingested passages" if self.passages else "")
                + f" in {self.seconds:.1f} s; embedded {self.embed.embedded}, "
                f"reused {self.embed.reused}"
                + (f" (and {self.words.embedded} new words)" if self.words.embedded else "")
                + (f"; {self.adapter}" if self.adapter else "")
                + f" → {self.db}"
                + (f"; read {len(self.restored)} ingested document(s) again from their files"
                   if self.restored else "")
                + "".join(f"\n  not rebuilt: {m}" for m in self.missing)
                + "".join(f"\n  dropped: {m} (not recorded in this data folder's ingested/)"
                          for m in self.unrecorded))


# Bump when what a build writes changes without a schema change (item texts, word vectors),
# so that existing databases are rebuilt rather than reported up to date.
# 4: NFKC item text, the glossary in meta, lesson part vectors; 5: out-of-scope anchors'
# vectors; 6: the query adapter (kb/adapter.py: a table a database without it searches as if
# it held the identity)
BUILD_FORMAT = 6


def fingerprint(files: list[Path], model: str) -> str:
    digest = hashlib.sha256(
        f"schema {SCHEMA_VERSION}\nformat {BUILD_FORMAT}\nmodel {model}\n".encode())
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build(db_path: Path, data_dir: Path, *, force: bool = False, model_dir: Path | None = None,
          progress=None) -> BuildReport:
    """Build `db_path` from `data_dir`. `progress` (kb.progress.Progress) is told the
    embedding work's total, then its advance, when there is any. Holds the database's writer lock
    throughout, so an ingest waits rather than commit into the file being replaced."""
    with writer_lock(db_path):
        return _build(Path(db_path), Path(data_dir), force, model_dir, progress)


def _build(db_path: Path, data_dir: Path, force: bool, model_dir: Path | None,
           progress) -> BuildReport:
    started = time.perf_counter()
    model_dir = resolve_model_dir(model_dir)
    model = model_name(model_dir)
    corpus = read_corpus(data_dir)
    stamp = fingerprint(corpus.files, model)
    if not is_lessons_database(db_path):
        raise DatabaseError(f"{db_path} is not a lessons database: kb build will not overwrite "
                            "it; pass --db with another path.")
    _remove_leftovers(db_path)
    recover(db_path)
    report = BuildReport(db=db_path)
    old, report.damaged = _open_previous(db_path)
    if old is not None and not force and not report.damaged \
            and read_meta(old).get("fingerprint") == stamp \
            and read_meta(old).get("data_dir") == str(data_dir.resolve()) \
            and _carried_unchanged(old) and not pending(old, data_dir):
        old.close()
        report.up_to_date, report.seconds = True, time.perf_counter() - started
        return report

    store = EmbeddingStore(model, lambda: load_embedder(model_dir))
    try:
        with atomic_replace(db_path) as tmp:
            db = sqlite_utils.Database(tmp)
            db.execute(f"pragma application_id = {APPLICATION_ID}")
            create_tables(db)
            with db.conn:
                items = _write_corpus(db, corpus)
                carried, report.unrecorded = _carry_over(db, old, data_dir)
                restored = restore_ingested(db, data_dir, lambda: store.embedder)
                items += carried + restored.items
                write_items(db, items)
                # Vectors only, no items rows: kb/neighbours.py, and lesson parts (kb/items.py).
                words = word_items(items) + part_items(corpus.cases)
                plan = store.plan(items, reuse_from=[old])
                words += sign_items(corpus.cases)  # vectors only: kb/signs.py
                words += anchor_items(corpus.elsewhere)  # vectors only: kb/elsewhere.py
                word_plan = store.plan(words, reuse_from=[old])
                if progress and plan.to_embed + word_plan.to_embed:
                    progress(total=plan.to_embed + word_plan.to_embed)
                report.embed = store.store(db, items, plan, progress=progress)
                report.words = store.store(db, words, word_plan, progress=progress)
                parts = read_parts(db.conn, _dimensions(db))
                report.adapter = adapter.write(db.conn, model, parts.items, parts.names,
                                               parts.vectors, reuse_from=old)
                segments.update(db.conn)
                create_search_indexes(db)
                db["meta"].insert_all([
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "fingerprint", "value": stamp},
                    {"key": "model", "value": model},
                    {"key": "dimensions", "value": str(_dimensions(db))},
                    {"key": "data_dir", "value": str(data_dir.resolve())},
                    {"key": GLOSSARY_META, "value": corpus.glossary.to_json()},
                    {"key": "built_at", "value": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                ], replace=True)
            db.conn.execute("vacuum")
            db.close()
            if journal(db_path).exists():  # a writer outside kb is inside a transaction
                raise DatabaseError(f"{db_path} is being written by another program (its "
                                    "journal is there): try again when it ends.")
    except (sqlite3.OperationalError, OSError) as exc:
        raise DatabaseError(f"Could not write the new database beside {db_path} "
                            f"({getattr(exc, 'strerror', None) or exc}): free some space or "
                            "make the folder writable; the old database is unchanged.") from None
    finally:
        if old is not None:
            old.close()
    report.cases, report.lessons, report.facts = (len(corpus.cases), corpus.lesson_count,
                                                  corpus.fact_count)
    report.passages = sum(1 for i in carried + restored.items if i.kind == "passage")
    report.restored, report.missing = restored.documents, restored.missing
    report.seconds = time.perf_counter() - started
    return report


def _remove_leftovers(db_path: Path) -> None:
    """Temporary files of builds that were killed (SIGKILL cannot clean up): under the
    writer lock no other build is running, so every one is a leftover."""
    for leftover in db_path.parent.glob(f".{db_path.name}.*.building*"):
        leftover.unlink(missing_ok=True)


def _open_previous(db_path: Path) -> tuple[sqlite3.Connection | None, str]:
    """The database being replaced, if it is one of ours (a source of reusable vectors and
    of ingested documents), and what is wrong with it, if anything: a damaged one is
    rebuilt, never reported up to date. The check reads every page (`quick_check`: a
    median of 41 ms over 7 runs on the 6.7 MB database built from data/, on the loaded
    2-core machine; it grows with the file)."""
    if not db_path.exists() or not db_path.stat().st_size:
        return None, ""
    try:
        conn = connect_readonly(db_path)
    except DatabaseError as exc:
        return _salvage(db_path), str(exc).split(": run")[0]
    try:
        problems = [r[0] for r in conn.execute("pragma quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        conn.close()  # damaged pages: nothing in it can be trusted; data/ is rebuilt
        return None, "; ".join(problems)
    return conn, ""


def _salvage(db_path: Path) -> sqlite3.Connection | None:
    """A database of ours that is incomplete (an index table lost) but whose pages are
    sound still holds ingested documents and vectors worth keeping."""
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        if [r[0] for r in conn.execute("pragma quick_check(3)")] == ["ok"] and all(
                conn.execute("select count(*) from sqlite_master where name = ?", [t]).fetchone()[0]
                for t in ("documents", "passages", "candidates", "embeddings", "cases")) \
                and read_meta(conn).get("schema_version") == str(SCHEMA_VERSION):
            return conn
        conn.close()
    except sqlite3.DatabaseError:
        pass
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
        write_case_file(db, case_file, sources)
        items += case_file_items(case_file, sources)
    db["redirects"].insert_all({"old_id": r.old, "new_id": r.new, "reason": r.reason}
                               for r in corpus.redirects)
    return items


def _carry_over(db: sqlite_utils.Database, old: sqlite3.Connection | None,
                data_dir: Path) -> tuple[list[Item], list[str]]:
    """Copy ingested documents, passages and candidate lessons from the old database;
    stub any case that exists only because a document was ingested for it. Only documents
    recorded in this data folder are kept: a database and the record of what was ingested
    into it never disagree. Returns the items and the paths of documents dropped."""
    if old is None:
        return [], []
    recorded = set(Manifest(data_dir).entries())
    old.row_factory = sqlite3.Row
    known_cases = {r[0] for r in db.execute("select slug from cases")}
    everything = {row["id"]: dict(row) for row in old.execute("select * from documents")}
    documents = {k: v for k, v in everything.items() if k in recorded}
    dropped = sorted(v["path"] for k, v in everything.items() if k not in recorded)
    for case in {d["case"] for d in documents.values()} - known_cases:
        db["cases"].insert(dict(old.execute("select * from cases where slug = ?", [case]).fetchone()))
    db["documents"].insert_all(documents.values())
    passages = [dict(r) for r in old.execute("select * from passages order by document, ordinal")
                if r["document"] in documents]
    db["passages"].insert_all(passages, batch_size=500)
    db["candidates"].insert_all((dict(r) for r in old.execute("select * from candidates")
                                 if r["document"] in documents), batch_size=500)
    old.row_factory = None
    return [passage_item(p, documents[p["document"]]) for p in passages], dropped


def _dimensions(db: sqlite_utils.Database) -> int:
    row = db.execute("select length(vector) from embeddings limit 1").fetchone()
    return row[0] // 4 if row else 0
