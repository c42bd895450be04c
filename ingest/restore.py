"""What `kb build` does for ingested documents, beyond copying the previous database's
documents, passages and candidate lessons: read again any document recorded under
data/ingested/ that the previous database lacks (a fresh clone, a deleted or corrupt
database), and apply the recorded accept/reject decisions.

A recorded document whose file is gone or has changed since it was ingested cannot be
rebuilt: it is reported, never guessed at.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlite_utils

from ingest import documents
from ingest.candidates import ThemeTagger
from ingest.manifest import Manifest
from ingest.readers import Unreadable, format_of
from kb.embeddings import Embedder
from kb.items import Item


@dataclass
class Restored:
    items: list[Item] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # read again from their files
    missing: list[str] = field(default_factory=list)    # "path: reason"


def pending(old: sqlite3.Connection, data_dir: Path) -> bool:
    """Whether a build would change the ingested documents: read again a recorded one the
    database lacks whose file is there, or drop one the record lacks (a cheap check, for
    deciding whether the database is up to date)."""
    manifest = Manifest(data_dir)
    entries = manifest.entries()
    have = {r[0] for r in old.execute("select id from documents")}
    if have - entries.keys():
        return True
    return any(manifest.file_of(e).is_file() for e in entries.values() if e.id not in have)


def restore_ingested(db: sqlite_utils.Database, data_dir: Path,
                     embedder: Callable[[], Embedder]) -> Restored:
    """Run inside the build's transaction, after the previous database's documents,
    passages and candidates were copied."""
    manifest = Manifest(data_dir)
    entries = manifest.entries()
    have = {r[0] for r in db.execute("select id from documents")}
    restored = Restored()
    tagger: ThemeTagger | None = None
    for entry in entries.values():
        if entry.id in have:
            continue
        path = manifest.file_of(entry)
        try:
            data = path.read_bytes()
            if documents.content_hash(data) != entry.content_hash:
                raise Unreadable("changed since it was ingested: run `kb ingest` on it again")
            tagger = tagger or ThemeTagger(embedder())
            prepared = documents.prepare(data, format_of(path), entry.model_copy(), tagger)
        except FileNotFoundError:
            restored.missing.append(f"{entry.path}: not found (ingest it again from where it is)")
            continue
        except (Unreadable, OSError) as exc:
            restored.missing.append(f"{entry.path}: {exc}")
            continue
        documents.ensure_case(db, entry.case)
        documents.write(db, prepared)
        restored.items += prepared.items
        restored.documents.append(entry.path)
    _apply_decisions(db, entries.values())
    return restored


def _apply_decisions(db: sqlite_utils.Database, entries) -> None:
    """The record says what was accepted and rejected; the database follows it."""
    for entry in entries:
        for cid, lesson in entry.accepted.items():
            db.execute("update candidates set status = 'accepted', lesson = ? where id = ?",
                       [lesson, cid])
        for cid in entry.rejected:
            db.execute("update candidates set status = 'rejected', lesson = null where id = ?",
                       [cid])
