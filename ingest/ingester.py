"""`kb ingest`: a user's documents into the live database, one transaction per document.

For each file: check it (type, size) before reading, hash it, and stop there if the same
bytes were already ingested the same way; otherwise read, split and tag it (no writes
yet), then in one transaction delete what the file replaces, write the document, its
passages, items and candidates, and embed the passages (vectors of unchanged text are
reused). The document is recorded under data/ingested/ as the transaction commits.

A file that cannot be read is reported with the reason and skipped; the run goes on.
An interruption (ctrl+c, kill) rolls back the document in flight: rollback-journal
transactions leave the database exactly as the last commit left it, and the next writer
to open it (the next `kb ingest` or `kb build`) clears a journal a killed process left.
The record is written just before the commit and taken back if the commit fails, so the
database never holds a document its record lacks (an unwritable data/ingested/ fails the
document, not just its record); kill -9 between the two leaves a record of a document
the database lacks, which the next `kb build` reads again from its file. An ingest holds
the database's writer lock for its run (other writers wait), and embeds each document
before its transaction, so the database's own write lock is held only to write rows.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlite_utils

from ingest import documents
from ingest.candidates import ThemeTagger
from ingest.manifest import Entry, Manifest
from ingest.readers import DEFAULT_MAX_MB, MB, Unreadable, check
from kb.database import connect_readonly, read_meta, recover, writer_lock
from kb.embeddings import (Embedder, check_same_model, load_embedder, model_name,
                           resolve_model_dir)
from kb.embedding_store import EmbeddingStore, write_items
from kb.errors import DatabaseError, KbError
from kb import segments
from kb.embedding_store import EmbeddingStore, write_items
from kb.progress import Progress

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
# Pages a transaction may hold in memory before SQLite writes into the database file
# early; a document's rows stay well below it, so a killed ingest never leaves a
# half-written file behind for read-only readers to trip on.
CACHE_KIB = 256 * 1024


@dataclass
class Outcome:
    path: Path
    status: str                # added, replaced, unchanged, removed or failed
    reason: str = ""
    title: str | None = None
    passages: int = 0
    candidates: int = 0
    date: str | None = None
    date_from: str | None = None  # where ingest found the date, when not told it


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    new_cases: list[str] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0
    embed_seconds: float = 0.0  # time in the model: passages and candidate tagging
    seconds: float = 0.0

    def of(self, *statuses: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def failed(self) -> list[Outcome]:
        return self.of("failed")

    def summary(self) -> str:
        written = self.of("added", "replaced")
        parts = []
        if written:
            parts.append(f"ingested {len(written)} file(s): "
                         f"{sum(o.passages for o in written)} passages, "
                         f"{sum(o.candidates for o in written)} candidate lessons")
        for status in ("unchanged", "removed", "failed"):
            if self.of(status):
                parts.append(f"{len(self.of(status))} {status}")
        if self.new_cases:
            parts.append(f"new stub case(s): {', '.join(self.new_cases)}")
        return "; ".join(parts or ["nothing to do"]) + f" ({self.seconds:.1f} s)"


class Ingester:
    """Writes documents into one database and records them in one data directory."""

    def __init__(self, db_path: Path, data_dir: Path, *, embedder: Embedder | None = None,
                 model_dir: Path | None = None,
                 max_bytes: int = DEFAULT_MAX_MB * MB):
        self.db_path = Path(db_path)
        self._lock = contextlib.ExitStack()
        self._lock.enter_context(writer_lock(self.db_path))
        try:
            self._open(data_dir, embedder, model_dir, max_bytes)
        except BaseException:
            self._lock.close()
            raise

    def _open(self, data_dir, embedder, model_dir, max_bytes) -> None:
        recover(self.db_path)  # before any read: a killed writer's journal is rolled back
        conn = connect_readonly(self.db_path)  # says what to do if it is missing or foreign
        built_with = read_meta(conn).get("model")
        conn.close()
        if embedder is not None:
            model, loader = embedder.name, (lambda: embedder)
        else:
            model_dir = resolve_model_dir(model_dir)
            model, loader = model_name(model_dir), (lambda: load_embedder(model_dir))
        check_same_model(built_with, model)
        self.store = EmbeddingStore(model, loader)
        self.max_bytes = max_bytes
        self.manifest = Manifest(data_dir)
        self.entries = self.manifest.entries()
        self.db = sqlite_utils.Database(self.db_path)
        self.db.execute("pragma busy_timeout = 10000")
        self.db.execute(f"pragma cache_size = -{CACHE_KIB}")
        self._tagger: ThemeTagger | None = None
        # The current (or last) run's report: up to the file in flight if interrupted.
        self.report = IngestReport()

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            self._lock.close()

    @property
    def tagger(self) -> ThemeTagger:
        if self._tagger is None:
            self._tagger = ThemeTagger(self.store.embedder)
        return self._tagger

    # -- ingesting ------------------------------------------------------------------
    def ingest(self, paths: list[Path], *, case: str, title: str | None = None,
               date: str | None = None, progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders (recursively) for `case`."""
        started = time.perf_counter()
        # The tagger outlives a run: count only this run's time in it.
        tagged = self._tagger.seconds if self._tagger is not None else 0.0
        report = self.report = IngestReport()
        files = self._discover(paths)
        if title and len(files) > 1:
            raise KbError(f"--title names one document, but {len(files)} files were given.")
        if progress:
            progress(total=len(files))
        for path in files:
            if progress:
                progress(label=path.name)
            try:
                report.outcomes.append(self._ingest_file(path, case, title, date))
            except Unreadable as exc:
                report.outcomes.append(Outcome(path, "failed", str(exc)))
            except OSError as exc:  # unreadable on disk: permissions, a vanished file
                report.outcomes.append(Outcome(path, "failed", exc.strerror or str(exc)))
            if progress:
                progress(1)
        if self._tagger is not None:
            report.embed_seconds += self._tagger.seconds - tagged
        report.seconds = time.perf_counter() - started
        return report

    def _discover(self, paths: list[Path]) -> list[Path]:
        files: dict[Path, None] = {}
        for path in map(Path, paths):
            if path.is_dir():
                found = [f for f in sorted(path.rglob("*"))
                         if f.is_file() and not _ignored(f.relative_to(path))]
            elif path.is_file():
                found = [path]
            else:
                self.report.outcomes.append(Outcome(path, "failed", "no such file or folder"))
                continue
            for file in found:
                if _encodable(file):
                    files[file.resolve()] = None
                else:  # the database and the record hold names as UTF-8 text
                    self.report.outcomes.append(Outcome(file, "failed", "the file name is not "
                                                        "valid UTF-8: rename the file"))
        return list(files)

    def _ingest_file(self, path: Path, case: str, title: str | None,
                     date: str | None) -> Outcome:
        fmt = check(path, self.max_bytes)
        data = path.read_bytes()
        digest = documents.content_hash(data)
        doc_id = documents.document_id(digest)
        stored = self.manifest.stored_path(path)
        row = self._document_row(doc_id)
        known = self.entries.get(doc_id)
        # What is kept from before: the record, else the database's row (the record lost).
        was = known.model_dump() if known else row or {}
        entry = Entry(
            id=doc_id, case=case, path=stored, content_hash=digest, size=len(data),
            title=title or was.get("title", ""), date=date or was.get("date"),
            ingested_at=was.get("ingested_at") or _now(),
            accepted=was.get("accepted", {}), rejected=was.get("rejected", []))
        stale = self._documents_at(stored) - {doc_id}
        if row and not stale and (row["case"], row["path"], row["title"], row["date"]) == (
                entry.case, entry.path, entry.title, entry.date):
            entry.format, entry.pages = row["format"], row["pages"]
            if known != entry:  # the database has it but the record lacks it: restore
                self._record(entry, ())
            return Outcome(path, "unchanged", title=entry.title)

        prepared = documents.prepare(data, fmt, entry, self.tagger)
        items = prepared.items
        plan = self.store.plan(items, reuse_from=[self.db.conn])  # before old vectors go
        vectors, embedded = self.store.embed(items, plan)
        replaced = stale | ({doc_id} if row else set())
        with self._transaction(path, record=lambda: self._record(entry, stale)):
            cases = {r[0] for r in self.db.execute(
                f"select \"case\" from documents where id in ({', '.join('?' * len(replaced))})",
                sorted(replaced))} if replaced else set()
            for old in replaced:
                documents.delete(self.db, old)
            for old_case in cases - {case}:
                documents.drop_unused_stub(self.db, old_case)
            new_case = documents.ensure_case(self.db, case)
            documents.write(self.db, prepared)
            write_items(self.db, items)
            self.store.write(self.db, items, vectors)
            segments.update(self.db.conn)
        if new_case:
            self.report.new_cases.append(case)
        self.report.embedded += embedded.embedded
        self.report.reused += embedded.reused
        self.report.embed_seconds += embedded.seconds
        return Outcome(path, "replaced" if replaced else "added", title=entry.title,
                       passages=len(prepared.passages), candidates=len(prepared.candidates),
                       date=entry.date, date_from=prepared.date_from)

    # -- removing -------------------------------------------------------------------
    def remove(self, paths: list[Path], progress: Progress | None = None) -> IngestReport:
        """Remove the documents recorded at these paths (a folder: every one under it),
        or with the same content as these files."""
        started = time.perf_counter()
        report = self.report = IngestReport()
        if progress:
            progress(total=len(paths))
        for path in map(Path, paths):
            if progress:
                progress(label=path.name)
            ids = self._documents_at(self.manifest.stored_path(path), under=True)
            if path.is_file() and path.stat().st_size <= self.max_bytes:
                same = documents.document_id(documents.content_hash(path.read_bytes()))
                if same in self.entries or self._document_row(same):
                    ids.add(same)
            if not ids:
                report.outcomes.append(Outcome(path, "failed", "not ingested: no document "
                                               "is recorded at this path"))
            for doc_id in sorted(ids):
                row = self._document_row(doc_id)
                title = row["title"] if row else self.entries[doc_id].title
                with self._transaction(path, record=lambda: self._forget(doc_id)):
                    documents.delete(self.db, doc_id)
                    if row:
                        documents.drop_unused_stub(self.db, row["case"])
                report.outcomes.append(Outcome(path, "removed", title=title))
            if progress:
                progress(1)
        report.seconds = time.perf_counter() - started
        return report

    # -- helpers --------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self, path: Path, *, record: Callable[[], Callable[[], None]]):
        """One document's writes, committed together with its record under data/ingested/
        or not at all: the record is written just before the commit (`record` returns how
        to take it back) and taken back if the commit fails. ctrl+c and kill (SIGTERM) wait
        while the record and the commit are written."""
        self.db.execute("begin immediate")  # the write lock now, not at the first write
        try:
            yield
            with _signals_held():
                try:
                    undo = record()
                except OSError as exc:
                    raise KbError(f"Could not record {path.name} in {self.manifest.dir} "
                                  f"({exc.strerror or exc}): nothing of it was written; make "
                                  "that folder writable and run the command again.") from None
                try:
                    self.db.conn.commit()
                except BaseException:
                    undo()
                    raise
        except sqlite3.Error as exc:
            self.db.conn.rollback()
            raise DatabaseError(f"Could not write to {self.db_path} ({exc}); nothing of "
                                f"{path.name} was written.") from None
        except BaseException:
            self.db.conn.rollback()
            raise

    def _document_row(self, doc_id: str) -> dict | None:
        return next(self.db.query("select * from documents where id = ?", [doc_id]), None)

    def _documents_at(self, stored: str, *, under: bool = False) -> set[str]:
        """Ids of documents recorded at `stored` (or, with `under`, inside that folder),
        in the database or the record."""
        def matches(path: str) -> bool:
            return path == stored or (under and path.startswith(stored.rstrip("/") + "/"))
        found = {r[0] for r in self.db.execute("select id, path from documents") if matches(r[1])}
        return found | {e.id for e in self.entries.values() if matches(e.path)}

    def _record(self, entry: Entry, replaced: set[str] | tuple) -> Callable[[], None]:
        """Record `entry` (and forget what it replaces); returns how to take that back."""
        before = {i: self.entries.get(i) for i in (entry.id, *replaced)}
        self.manifest.save(entry)
        self.entries[entry.id] = entry
        for old in replaced:
            self._forget(old)
        return lambda: self._restore(before)

    def _forget(self, doc_id: str) -> Callable[[], None]:
        before = {doc_id: self.entries.get(doc_id)}
        self.manifest.delete(doc_id)
        self.entries.pop(doc_id, None)
        return lambda: self._restore(before)

    def _restore(self, before: dict[str, Entry | None]) -> None:
        for doc_id, entry in before.items():
            if entry is None:
                self.manifest.delete(doc_id)
                self.entries.pop(doc_id, None)
            else:
                self.manifest.save(entry)
                self.entries[doc_id] = entry


@contextlib.contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM for a moment: one that arrives meanwhile is raised again, to
    its own handler, when the moment is over. (Handlers, not the signal mask: the mask is
    per thread, and the model's worker threads would take the signal instead.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda n, _: received.append(n)) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


def _ignored(relative: Path) -> bool:
    """Hidden files, Office lock files (~$report.docx) and operating-system litter."""
    name = relative.name
    return (any(part.startswith(".") for part in relative.parts) or name.startswith("~$")
            or name in IGNORED_NAMES)


def _encodable(path: Path) -> bool:
    try:
        str(path.resolve()).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
