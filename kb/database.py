"""Opening the database for reading, and writing it without readers ever seeing half of it.

Two ways of writing, one rule for reading:
- `kb build` writes a whole new database to a temporary file beside the old one and
  renames it into place (`atomic_replace`): a reader holds either the old file or the new.
- `kb ingest` adds documents to the live file, one transaction per document.
- Readers (search, the TUI, Datasette) connect read-only (`mode=ro`), never `immutable`,
  so they stay correct while an ingest commits. Journals stay in rollback mode (no WAL):
  a WAL file is tied to the file name and would outlive a rename.

Writers (build, ingest, accept, reject) take one lock per database (`writer_lock`, a
lock file beside it that is never renamed), so they wait for each other instead of one
failing on "database is locked" or committing into a file a build is about to replace.
Each then opens the database read-write first (`recover`): SQLite rolls back the hot
journal a writer killed mid-commit left, which read-only readers cannot do; a build
never renames its new file beside a journal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from kb.errors import DatabaseError
from kb.schema import SCHEMA_VERSION

REQUIRED_TABLES = {"meta", "items", "embeddings", "items_fts"}
# Written into every database a build makes (`pragma application_id`, bytes 68-71 of the
# header), so a lessons database is recognised even when its pages are damaged.
APPLICATION_ID = 0x4C45534E  # "LESN"
SQLITE_MAGIC = b"SQLite format 3\x00"
LOCK_NOTICE_SECONDS = 3      # a writer waiting longer than this says what it waits for
LOCK_WAIT_SECONDS = 30 * 60  # and gives up after this: a build of 100k passages fits
RECOVER = "run `kb build` to recover it (nothing committed is lost)"


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
        if "readonly" in str(exc) and journal(path).exists():  # a writer killed mid-commit
            raise DatabaseError(f"{path} has an unfinished write (a kb command was killed "
                                f"while committing): {RECOVER}.") from None
        raise _unreadable(path, exc) from None
    if not {"meta", "items"} <= tables:
        conn.close()
        raise DatabaseError(f"{path} is not a lessons database: pass --db with the path of "
                            "one, or make one with `kb build --db NEW.db`.")
    missing = REQUIRED_TABLES - tables
    if missing:
        conn.close()
        raise DatabaseError(f"{path} is damaged (no {', '.join(sorted(missing))} table): "
                            "run `kb build` to rebuild it.")
    version = read_meta(conn).get("schema_version")
    if version != str(SCHEMA_VERSION):
        conn.close()
        raise DatabaseError(f"{path} was built by another version of lessons (schema "
                            f"{version}, expected {SCHEMA_VERSION}): run `kb build`.")
    return conn


def _unreadable(path: Path, exc: Exception) -> DatabaseError:
    if is_lessons_database(path):
        return DatabaseError(f"{path} is a damaged lessons database ({exc}): run `kb build` "
                             "to rebuild it.")
    return DatabaseError(f"{path} is not a lessons database ({exc}): pass --db with the path "
                         "of one, or make one with `kb build --db NEW.db`.")


def journal(path: Path) -> Path:
    return Path(f"{path}-journal")


def is_lessons_database(path: Path) -> bool:
    """Whether `path` is a database this project built (or an empty file, which holds
    nothing): the only files `kb build` may replace. Read from the header alone when the
    build stamped it, else from its table names, so a damaged one is still recognised."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except FileNotFoundError:
        return True
    if not header:
        return True
    if not header.startswith(SQLITE_MAGIC):
        return False
    if len(header) >= 72 and int.from_bytes(header[68:72], "big") == APPLICATION_ID:
        return True
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("select name from sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return {"meta", "items", "embeddings"} <= names


def recover(path: Path) -> None:
    """Roll back what a writer killed mid-commit left (a hot journal). SQLite does this on
    the first read through a read-write connection; a read-only one can only refuse."""
    path = Path(path)
    if not journal(path).exists() or not path.exists():
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"Could not recover {path} from the unfinished write a killed "
                            f"kb command left ({exc}): check that its folder is writable, "
                            "then run the command again.") from None


# Lock file → [fd, holders]: a writer may call another (accept → build), and an ingester
# may be opened while another is (tests do); the lock goes when the last one lets go.
_held: dict[Path, list[int]] = {}


@contextlib.contextmanager
def writer_lock(db_path: Path):
    """Hold the database's writer lock: other kb writers wait (saying so after a few
    seconds) instead of failing or writing into a file that is about to be replaced."""
    db_path = Path(db_path).resolve()
    lock = db_path.with_name(f".{db_path.name}.lock")
    if lock not in _held:
        _held[lock] = [_take(lock, db_path), 0]
    _held[lock][1] += 1
    try:
        yield
    finally:
        _held[lock][1] -= 1
        if not _held[lock][1]:
            fd = _held.pop(lock)[0]
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _take(lock: Path, db_path: Path) -> int:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DatabaseError(f"Cannot write in {db_path.parent} ({exc.strerror}): a writable "
                            "folder is needed beside the database.") from None
    try:
        _acquire(fd, db_path)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {' '.join(sys.argv[1:3])}\n".encode())
    except BaseException:
        os.close(fd)
        raise
    return fd


def _acquire(fd: int, db_path: Path) -> None:
    started, told = time.monotonic(), False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited > LOCK_WAIT_SECONDS:
                raise DatabaseError(f"Another kb command has been writing to {db_path} for "
                                    f"{waited / 60:.0f} minutes: try again when it ends.") from None
            if not told and waited >= LOCK_NOTICE_SECONDS:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                print(f"waiting for another kb command (pid {holder or '?'}) to finish "
                      f"writing to {db_path}…", file=sys.stderr, flush=True)
                told = True
            time.sleep(0.1)


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


class Reopener:
    """A read-only connection that is opened again whenever the file changes (`kb build`
    replaces it, `kb ingest` writes to it), so a long-lived reader (the search engine, the
    catalog of the TUI and the Datasette pages) always reads the current database. The
    check is one stat() per call: cheap beside any query."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None
        self._signature: tuple | None = None

    def refresh(self) -> bool:
        """Open the connection, or reopen it if the file changed since; True if it did
        (the caller then forgets what it had read from the old file)."""
        current = signature(self.path)
        if self.conn is not None and current == self._signature:
            return False
        self.close()
        self.conn = connect_readonly(self.path)
        self._signature = current
        return True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


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
