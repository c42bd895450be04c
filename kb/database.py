"""Opening the database for reading, and writing it without readers ever seeing half of it.

Two ways of writing, one rule for reading:
- `kb build` writes a whole new database to a temporary file beside the old one and
  renames it into place (`atomic_replace`): a reader holds either the old file or the new.
- `kb ingest` adds documents to the live file, one transaction per document.
- Readers (search, the TUI, Datasette) connect read-only (`mode=ro`), never `immutable`,
  so they stay correct while an ingest commits. Journals stay in rollback mode (no WAL):
  a WAL file is tied to the file name and would outlive a rename.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from kb.errors import DatabaseError
from kb.schema import SCHEMA_VERSION

REQUIRED_TABLES = {"meta", "items", "embeddings"}


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection, or DatabaseError saying what to do about it."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"No database at {path}: build it with `kb build`.")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               check_same_thread=False)
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    except sqlite3.DatabaseError as exc:
        if "readonly" in str(exc):  # a hot journal: a write was killed mid-commit
            raise DatabaseError(f"{path} has an unfinished write (an ingest was killed while "
                                "committing): run `kb ingest` or `kb build` to recover it.") from None
        raise DatabaseError(f"{path} is not a readable lessons database ({exc}): "
                            "rebuild it with `kb build --force`.") from None
    missing = REQUIRED_TABLES - tables
    if missing:
        conn.close()
        raise DatabaseError(f"{path} is not a lessons database (no {', '.join(sorted(missing))} "
                            "table): rebuild it with `kb build --force`.")
    version = read_meta(conn).get("schema_version")
    if version != str(SCHEMA_VERSION):
        conn.close()
        raise DatabaseError(f"{path} was built by another version of lessons (schema "
                            f"{version}, expected {SCHEMA_VERSION}): run `kb build --force`.")
    return conn


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(conn.execute("select key, value from meta"))
    except sqlite3.DatabaseError:
        return {}


def signature(path: Path) -> tuple | None:
    """Changes whenever the file is replaced or written to: readers use it to reload."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def atomic_replace(path: Path):
    """Yield a temporary path beside `path`; on success, rename it over `path`.

    On any error (or ctrl+c) the temporary file is removed and `path` is untouched. Used
    for the database and for every file the project writes under data/."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".building", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
