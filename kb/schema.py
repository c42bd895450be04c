"""The database's tables, in one place.

Curated records (cases, sources, lessons, evidence, facts) are written by `kb build` from
data/; documents, passages and candidate lessons are written by `kb ingest`. Every
searchable record is also one row of `items`, the uniform view that search works on (kind,
id, case, title, text, themes, stage, outcome, source), with an FTS5 index (porter
stemming) and one row in `embeddings`. The browsable tables get their own FTS indexes for
Datasette's search box.
"""

from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 5  # 4: source standing, evidence kind, lesson strength, redirects; 5: the stored search index (kb/segments.py)

TABLES: dict[str, dict] = {
    "meta": dict(columns={"key": str, "value": str}, pk="key"),
    "cases": dict(columns={
        "slug": str, "name": str, "commissioner": str, "partners": str, "care_model": str,
        "contract_form": str, "population": str, "value": str, "term": str, "status": str,
        "outcome": str, "summary": str, "stub": int}, pk="slug"),
    "sources": dict(columns={
        "id": str, "title": str, "publisher": str, "date": str, "kind": str, "standing": str,
        "url": str, "reference": str}, pk="id"),
    "case_sources": dict(columns={"case": str, "source": str}, pk=("case", "source"),
                         foreign_keys=[("case", "cases", "slug"), ("source", "sources", "id")]),
    "lessons": dict(columns={
        "id": str, "case": str, "title": str, "event": str, "lesson": str,
        "recommendation": str, "themes": str, "stage": str, "outcome": str, "strength": str,
        "source": str, "locator": str, "related": str, "questions": str}, pk="id",
        foreign_keys=[("case", "cases", "slug"), ("source", "sources", "id")]),
    # What each lesson looks like inside a plan (kb.records.PlanSigns), for `kb check`;
    # kind is warning or covered; each sign's vector is in `embeddings` (kind "sign").
    "plan_signs": dict(columns={
        "lesson": str, "kind": str, "ordinal": int, "text": str}, pk=("lesson", "kind", "ordinal"),
        foreign_keys=[("lesson", "lessons", "id")]),
    "evidence": dict(columns={
        "id": int, "lesson": str, "source": str, "locator": str, "kind": str, "paraphrase": str},
        pk="id",
        foreign_keys=[("lesson", "lessons", "id"), ("source", "sources", "id")]),
    "facts": dict(columns={
        "id": str, "case": str, "label": str, "value": str, "number": float, "unit": str,
        "date": str, "source": str, "locator": str, "note": str}, pk="id",
        foreign_keys=[("case", "cases", "slug"), ("source", "sources", "id")]),
    "documents": dict(columns={
        "id": str, "case": str, "path": str, "title": str, "date": str, "format": str,
        "content_hash": str, "pages": int, "ingested_at": str}, pk="id",
        foreign_keys=[("case", "cases", "slug")]),
    "passages": dict(columns={
        "id": str, "document": str, "case": str, "ordinal": int, "locator": str,
        "heading": str, "text": str}, pk="id",
        foreign_keys=[("document", "documents", "id"), ("case", "cases", "slug")]),
    # Sentences of passages that read as lessons, proposed by `kb ingest` for review;
    # status is candidate, accepted (then `lesson` is the curated lesson's id) or rejected.
    "candidates": dict(columns={
        "id": str, "document": str, "passage": str, "case": str, "ordinal": int, "text": str,
        "cue": str, "themes": str, "stage": str, "score": float, "status": str, "lesson": str},
        pk="id", foreign_keys=[("document", "documents", "id"), ("passage", "passages", "id"),
                               ("case", "cases", "slug")]),
    "items": dict(columns={
        "item": int, "kind": str, "id": str, "case": str, "title": str, "text": str,
        "themes": str, "stage": str, "outcome": str, "strength": str, "source": str,
        "source_title": str, "locator": str, "content_hash": str}, pk="item",
        foreign_keys=[("case", "cases", "slug")]),
    # Lessons merged into another (data/redirects.yaml): an old published id still leads to
    # the lesson that now holds what it taught.
    "redirects": dict(columns={"old_id": str, "new_id": str, "reason": str}, pk="old_id",
                      foreign_keys=[("new_id", "lessons", "id")]),
    "embeddings": dict(columns={
        "kind": str, "id": str, "model": str, "content_hash": str, "vector": bytes},
        pk=("kind", "id")),
    # The stored search index of a large database (kb/segments.py): per segment, its item
    # rowids, their lengths in tokens and an int8 HNSW graph of their vectors; per (term,
    # segment), the postings. Empty below kb.segments.MIN_ITEMS items.
    "search_segments": dict(columns={
        "segment": int, "size": int, "last": int, "items": bytes, "lengths": bytes,
        "graph": bytes}, pk="segment"),
    "search_postings": dict(columns={
        "term": str, "segment": int, "positions": bytes, "title": bytes, "text": bytes},
        pk=("term", "segment")),
    # The query adapter fitted on the curated questions (kb/adapter.py), one per model.
    "adapters": dict(columns={
        "model": str, "content_hash": str, "questions": int, "matrix": bytes}, pk="model"),
}

# Full-text indexes: the search engine's (items) and Datasette's per-table search boxes.
FTS: dict[str, list[str]] = {
    "items": ["title", "text"],
    "lessons": ["title", "event", "lesson", "recommendation", "questions"],
    "facts": ["label", "value", "note"],
    "passages": ["heading", "text"],
    "candidates": ["text"],
    "cases": ["name", "summary"],
}

INDEXES: list[tuple[str, list[str]]] = [
    ("items", ["kind", "id"]), ("lessons", ["case"]), ("facts", ["case"]),
    ("passages", ["document"]), ("evidence", ["lesson"]), ("candidates", ["document"]),
    ("candidates", ["case"]),
]


def create_tables(db: sqlite_utils.Database) -> None:
    for name, spec in TABLES.items():
        db[name].create(**spec, if_not_exists=True)
    for table, columns in INDEXES:
        db[table].create_index(columns, unique=(table == "items"), if_not_exists=True)


def create_search_indexes(db: sqlite_utils.Database) -> None:
    """Index the text once the bulk is written; the triggers then keep the indexes in step
    with what `kb ingest` adds to the live database."""
    for table, columns in FTS.items():
        db[table].enable_fts(columns, fts_version="FTS5", tokenize="porter", replace=True,
                             create_triggers=True)
    # Document frequency of every indexed term: the search engine skips very common terms.
    db.execute("create virtual table if not exists items_fts_vocab "
               "using fts5vocab(items_fts, 'row')")
