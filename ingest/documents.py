"""One document: read, split into passages, its candidate lessons found; then written
into (or deleted from) a database.

Everything slow or fallible (reading, parsing, tagging) happens in `prepare`, before any
write; `write` and `delete` only touch rows, inside the caller's transaction. The same
`prepare` serves `kb ingest` and `kb build` (which re-reads documents a database lacks),
so both produce identical rows from identical bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from ingest.candidates import ThemeTagger, candidate_id, find
from ingest.manifest import Entry
from ingest.bounded import read_and_split
from ingest.readers import Unreadable
from ingest.text import humanise
from kb.items import Item, passage_item


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_id(digest: str) -> str:
    """Named by content: the same bytes are the same document wherever they are found."""
    return f"doc-{digest[:16]}"


@dataclass
class Prepared:
    document: dict
    passages: list[dict]
    candidates: list[dict]
    date_from: str | None = None  # where a date not given by the user was found

    @property
    def items(self) -> list[Item]:
        return [passage_item(p, self.document) for p in self.passages]


def prepare(data: bytes, fmt: str, entry: Entry, tagger: ThemeTagger) -> Prepared:
    """Rows for a document read from `data`, described by `entry` (whose candidate
    decisions are applied). Raises Unreadable when there is no text to ingest."""
    extracted, passages = read_and_split(fmt, data)
    if not passages:
        hint = ": a scanned PDF needs text recognition (OCR) first" if fmt == "pdf" else ""
        raise Unreadable(f"no text found{hint}")
    if not entry.title:
        entry.title = extracted.title or humanise(Path(entry.path).stem)
    entry.format, entry.pages = extracted.format, extracted.pages
    date_from = None
    if not entry.date:
        entry.date = extracted.written_date or extracted.date
        date_from = ("its text" if extracted.written_date
                     else "the file's properties" if entry.date else None)
    document = {"id": entry.id, "case": entry.case, "path": entry.path, "title": entry.title,
                "date": entry.date, "format": entry.format, "content_hash": entry.content_hash,
                "pages": entry.pages, "ingested_at": entry.ingested_at}
    passage_ids = {p.ordinal: f"{entry.id}-p{p.ordinal}" for p in passages}
    passage_rows = [{"id": passage_ids[p.ordinal], "document": entry.id, "case": entry.case,
                     "ordinal": p.ordinal, "locator": p.locator, "heading": p.heading,
                     "text": p.text} for p in passages]
    found = find(passages)
    candidate_rows = []
    for candidate, tag in zip(found, tagger.tag([f.text for f in found])):
        cid = candidate_id(entry.id, candidate.text)
        status, lesson = ("accepted", entry.accepted[cid]) if cid in entry.accepted else (
            ("rejected", None) if cid in entry.rejected else ("candidate", None))
        candidate_rows.append({
            "id": cid, "document": entry.id, "passage": passage_ids[candidate.passage.ordinal],
            "case": entry.case, "ordinal": candidate.ordinal, "text": candidate.text,
            "cue": candidate.cue, "themes": json.dumps(list(tag.themes)), "stage": tag.stage,
            "score": tag.score, "status": status, "lesson": lesson})
    return Prepared(document, passage_rows, candidate_rows, date_from)


def write(db: sqlite_utils.Database, prepared: Prepared) -> None:
    """Insert a prepared document's rows; its items are the caller's to write and embed
    (a build writes and embeds every item at once)."""
    db["documents"].insert(prepared.document)
    db["passages"].insert_all(prepared.passages, batch_size=500)
    db["candidates"].insert_all(prepared.candidates, batch_size=500)


def delete(db: sqlite_utils.Database, document_id: str) -> None:
    """Remove a document and everything derived from it (the FTS triggers follow)."""
    passages = "select id from passages where document = ?"
    db.execute(f"delete from embeddings where kind = 'passage' and id in ({passages})",
               [document_id])
    db.execute(f"delete from items where kind = 'passage' and id in ({passages})", [document_id])
    for table, column in (("candidates", "document"), ("passages", "document"),
                          ("documents", "id")):
        db.execute(f"delete from {table} where {column} = ?", [document_id])


def ensure_case(db: sqlite_utils.Database, slug: str) -> bool:
    """Create a stub case for a slug the database does not know; True if one was made."""
    if db.execute("select 1 from cases where slug = ?", [slug]).fetchone():
        return False
    db["cases"].insert({"slug": slug, "name": humanise(slug), "stub": 1})
    return True


def drop_unused_stub(db: sqlite_utils.Database, slug: str) -> None:
    """A stub case exists only for its documents: it goes with the last of them."""
    db.execute("delete from cases where slug = ? and stub = 1 and not exists "
               "(select 1 from documents where \"case\" = ?)", [slug, slug])
