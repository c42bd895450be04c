"""Run `kb ARGS…` as a real process that SIGKILLs itself at an exact moment of its writes:

    python tests/ingest/killed_at.py in-commit DB ARGS…   # inside an ingest's commit
    python tests/ingest/killed_at.py building DB ARGS…    # while a build writes its new file

Why: the fault tests used to start `kb` and poll the files from outside, spinning a core,
and kill it when they looked right; a kill that came too late cost another attempt (and
another embedding of a long document). They cost 150 s and 88 s of CPU and varied from
run to run. Here the process kills itself, the first time the moment comes, from inside
SQLite's own calls. The kill is still a real SIGKILL of a real process (no `finally`,
rollback or cleanup runs), and no line of the code under test changes.

- `in-commit`: SQLite writes a transaction's pages into the database file only as it
  commits (the ingester's page cache holds a whole document's), after its rollback journal
  is on disk. A shim over SQLite's default file layer (its VFS, reached through ctypes in
  the same libsqlite3 that Python's sqlite3 uses) passes every call through and, at the
  first write into DB once the ingest's record under `--data`'s ingested/ folder is
  written and while the journal exists, lets that page reach the file and kills the
  process: the file holds part of a commit that only the journal can undo, and the record
  names a document the database lacks. Were part of a document committed before its
  record, that part would stay (the tests that use this then find it); an ingest that
  never commits with a record written is not killed, and those tests fail too.
- `building`: at the first statement (SQLite's trace callback) after a build's temporary
  database (`.NAME.*.building`) holds a page.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sqlite3
import sys
from pathlib import Path

SQLITE_OPEN_MAIN_DB = 0x100
_kept: list = []  # the shim's structures and callbacks live as long as the process


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _IoMethods(ctypes.Structure):  # sqlite3_io_methods, version 3: 18 functions
    _fields_ = [("iVersion", ctypes.c_int), ("xClose", ctypes.c_void_p),
                ("xRead", ctypes.c_void_p), ("xWrite", ctypes.c_void_p),
                ("rest", ctypes.c_void_p * 15)]


class _Vfs(ctypes.Structure):  # sqlite3_vfs, version 3: 16 functions from xOpen on
    _fields_ = [("iVersion", ctypes.c_int), ("szOsFile", ctypes.c_int),
                ("mxPathname", ctypes.c_int), ("pNext", ctypes.c_void_p),
                ("zName", ctypes.c_char_p), ("pAppData", ctypes.c_void_p),
                ("xOpen", ctypes.c_void_p), ("rest", ctypes.c_void_p * 15)]


_XOPEN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_int, ctypes.c_void_p)
_XWRITE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                           ctypes.c_int64)


def _loaded_sqlite() -> str:
    """The SQLite library Python's sqlite3 module runs on (the one this process mapped)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "/libsqlite3" in line:
                return line.split(maxsplit=5)[5].strip()
    raise SystemExit("killed_at.py: Python's sqlite3 is not linked to a libsqlite3 here")


def kill_in_commit(db: Path, records: Path) -> None:
    """Make SQLite's default VFS one that kills this process at the first write into `db`
    once a new record is in `records` and `db`'s journal exists."""
    lib = ctypes.CDLL(_loaded_sqlite())
    lib.sqlite3_vfs_find.restype = ctypes.c_void_p
    real = lib.sqlite3_vfs_find(None)
    real_vfs = _Vfs.from_address(real)
    if real_vfs.iVersion < 3:
        raise SystemExit("killed_at.py: SQLite's VFS is older than version 3")
    shim = _Vfs.from_buffer_copy(ctypes.string_at(real, ctypes.sizeof(_Vfs)))
    real_open = _XOPEN(real_vfs.xOpen)
    journal = Path(f"{db}-journal")
    recorded = set(records.glob("*.yaml"))
    wrapped: dict[int, _IoMethods] = {}  # the real methods' address -> the shim's copy

    def x_write(file, buf, amount, offset):
        code = real_write(file, buf, amount, offset)
        if journal.exists() and set(records.glob("*.yaml")) - recorded:
            _kill()
        return code

    def x_open(vfs, name, file, flags, out_flags):
        code = real_open(real, name, file, flags, out_flags)
        if code == 0 and flags & SQLITE_OPEN_MAIN_DB and name \
                and os.path.realpath(os.fsdecode(ctypes.string_at(name))) == os.path.realpath(db):
            methods = ctypes.c_void_p.from_address(file)  # sqlite3_file.pMethods
            if methods.value not in wrapped:
                copy = _IoMethods.from_buffer_copy(
                    ctypes.string_at(methods.value, ctypes.sizeof(_IoMethods)))
                nonlocal real_write
                real_write = _XWRITE(copy.xWrite)
                copy.xWrite = ctypes.cast(write_callback, ctypes.c_void_p)
                wrapped[methods.value] = copy
            methods.value = ctypes.addressof(wrapped[methods.value])
        return code

    real_write = None
    write_callback, open_callback = _XWRITE(x_write), _XOPEN(x_open)
    shim.zName, shim.pNext = b"killed-at", None
    shim.xOpen = ctypes.cast(open_callback, ctypes.c_void_p)
    _kept.extend([shim, write_callback, open_callback, wrapped])
    if lib.sqlite3_vfs_register(ctypes.byref(shim), 1) != 0:
        raise SystemExit("killed_at.py: SQLite refused the VFS")


def kill_building(db: Path) -> None:
    """Kill this process at the first statement after a build's temporary file for `db`
    holds a page."""
    connect = sqlite3.connect

    def traced(sql: str) -> None:
        if any(p.stat().st_size for p in db.parent.glob(f".{db.name}.*.building")):
            _kill()

    def connect_watched(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(traced)
        return conn

    sqlite3.connect = connect_watched


def main() -> None:
    moment, db, *args = sys.argv[1:]
    db = Path(db).resolve()
    if moment == "in-commit":
        if "--data" not in args:
            raise SystemExit("killed_at.py: in-commit needs the ingest's --data folder")
        kill_in_commit(db, Path(args[args.index("--data") + 1]) / "ingested")
    elif moment == "building":
        kill_building(db)
    else:
        raise SystemExit(f"killed_at.py: no moment {moment!r} (in-commit, building)")
    from kb.cli import main as kb

    kb(args)


if __name__ == "__main__":
    main()
