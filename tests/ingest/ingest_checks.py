"""Queries the ingest tests share: row counts, and the consistency a transaction per
document must keep whatever happens (interrupts included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(db: Path, table: str, where: str = "1", params=()) -> int:
    return rows(db, f"select count(*) from {table} where {where}", params)[0][0]


def assert_consistent(db: Path) -> None:
    """Every document complete, nothing orphaned: what a transaction per document keeps."""
    assert rows(db, "pragma integrity_check") == [("ok",)]
    assert rows(db, "pragma foreign_key_check") == []
    assert count(db, "documents", "id not in (select document from passages)") == 0
    assert count(db, "passages", "id not in (select id from items where kind = 'passage')") == 0
    assert count(db, "items", "kind = 'passage' and id not in (select id from passages)") == 0
    assert count(db, "items", "not exists (select 1 from embeddings e where e.kind = items.kind "
                              "and e.id = items.id)") == 0
    assert count(db, "embeddings", "kind = 'passage' and id not in (select id from passages)") == 0
    assert count(db, "candidates", "passage not in (select id from passages)") == 0
    # The full-text indexes match their tables (FTS5 checks its index against the content).
    conn = sqlite3.connect(db)
    try:
        for table in ("items", "passages", "candidates"):
            conn.execute(f"insert into {table}_fts({table}_fts) values ('integrity-check')")
    finally:
        conn.close()
