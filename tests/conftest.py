"""Fixtures shared by every test area: a real database built from the real data/ (once per
checkout and change, kept in pytest's cache), a search engine over it with the real packaged
model, and `kb` run in-process with that model."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from kb import config

DATA = config.PROJECT_ROOT / "data"
# What the session's database is built by: a change to any of these builds it again.
BUILT_FROM = [config.PROJECT_ROOT / name for name in ("kb", "ingest")]
BUILT_WITH = [config.PROJECT_ROOT / name for name in ("pyproject.toml", "requirements.lock")]


@pytest.fixture(scope="session")
def embedder():
    """The packaged model, loaded once per test process, its batches memoised.

    Many tests embed the same batches (the query sets, the records' words and plan signs,
    the fixtures' plans): each batch is embedded once and its vectors handed out again.
    The key is the whole batch, so every vector is bit for bit what the model gives for
    that batch (padding in a batch moves the last bits of a vector)."""
    from kb.embeddings import load_embedder

    loaded = load_embedder()
    encode_batch = loaded._encode_batch
    memo: dict[tuple[str, ...], object] = {}

    def memoised(texts: list[str]):
        key = tuple(texts)
        if key not in memo:
            memo[key] = encode_batch(texts)
        return memo[key].copy()

    loaded._encode_batch = memoised
    return loaded


def _tree_files(root: Path) -> list[Path]:
    """The files a build reads under `root`: not databases, lock files, caches or dotfiles."""
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not any(part.startswith(".") or part == "__pycache__"
                              for part in p.relative_to(root).parts)
                  and ".db" not in p.name and p.suffix != ".pyc")


def build_key(data: Path) -> str:
    """A hash of everything a database built from `data` is made from: those files, the
    code that builds it (kb/, ingest/), the pinned dependencies, the model file (or
    $LESSONS_MODEL), SQLite's and Python's versions."""
    digest = hashlib.sha256(f"python {sys.version}\nsqlite {sqlite3.sqlite_version}\n"
                            f"model {os.environ.get(config.MODEL_ENV, '')}\n".encode())
    for root in [data, *BUILT_FROM]:
        for path in _tree_files(root):
            digest.update(str(path.relative_to(root.parent)).encode() + b"\0"
                          + path.read_bytes() + b"\0")
    model = config.packaged_model_file()
    for path in [*BUILT_WITH, *([model] if model and model.exists() else [])]:
        with path.open("rb") as f:
            digest.update(path.name.encode() + hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()[:16]


def cached_build(pytestconfig, tmp_path_factory, data: Path, name: str) -> Path:
    """`data` built into a database of the session's own (never the user's
    data/lessons.db), through pytest's cache.

    The build is kept in `.pytest_cache/d/NAME/<key>.db`, keyed by `build_key(data)`, and
    each session works on a copy (never on the cached file): building data/ took 25 s on a
    quiet machine and a minute or more under load, at every run, against well under a
    second to copy the 12 MB file. A fresh clone (CI) or a change to the data, kb/,
    ingest/, the pins or the model builds it again, from nothing, so that session still
    embeds every record, word and plan sign once. xdist workers take turns on a lock file,
    so only the first builds. `--cache-clear` (or deleting the folder) forces a build."""
    from ingest.build import build

    path = tmp_path_factory.mktemp(name) / "lessons.db"
    cache = pytestconfig.cache.mkdir(name)
    cached = cache / f"{build_key(data)}.db"
    with (cache / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cached.exists():
            shutil.copy(cached, path)
        else:
            build(path, data)
            for old in cache.glob("*.db"):  # one build kept: the current one
                old.unlink()
            shutil.copy(path, cache / "building.tmp")
            os.replace(cache / "building.tmp", cached)
    return path


@pytest.fixture(scope="session")
def built_db(pytestconfig, tmp_path_factory) -> Path:
    """data/ built into a database of the session's own (`cached_build`)."""
    return cached_build(pytestconfig, tmp_path_factory, DATA, "built-db")


@pytest.fixture(scope="session", autouse=True)
def session_model(embedder):
    """The packaged model, loaded once for the session, wherever `kb` would load it (the
    modules that imported `load_embedder` by name too): for tests/kb_in_process.py, the
    browser's plugin run in-process and every engine a test opens. Loading it costs about
    a CPU second each time; a test that loads a model of its own passes `model_dir`, or
    sets $LESSONS_MODEL, and gets a fresh one."""
    from ingest import build, ingester
    from kb import embeddings
    from web import model

    load = embeddings.load_embedder

    def loaded(model_dir=None):
        if model_dir is None and not os.environ.get(config.MODEL_ENV):
            return embedder
        return load(model_dir)

    with pytest.MonkeyPatch.context() as patch:  # for the session: before any fixture loads
        for module in (embeddings, build, ingester, model):
            patch.setattr(module, "load_embedder", loaded)
        yield


@pytest.fixture(scope="session")
def engine(built_db, embedder):
    from kb.search import SearchEngine

    return SearchEngine(built_db, embedder=embedder)


@pytest.fixture
def seeded_db(tmp_path, built_db) -> Path:
    """Where a test builds its own database, holding a copy of the session's: the build
    replaces it but reuses its vectors by content hash (as every rebuild does), rather than
    embedding every record, word and plan sign again (12 s against 102 s under load).
    Embedding from nothing is tested by the session's build when it is not cached, by every
    build from the small data sets (tests/ingest, tests/tui), and, over all the records, by
    the slow test of a database embedded with another model (tests/ingest/
    test_build_database.py)."""
    path = tmp_path / "kb.db"
    shutil.copy(built_db, path)
    return path


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of data/ that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("*.db", ".*"))
    return target


# The areas in the order the two test processes take them (pytest-xdist, --dist loadfile,
# hands out files in collection order): the TUI's pilot and the web's servers first, many
# quick files last, so that neither process is left finishing a long file alone.
AREAS_FIRST = ("tui", "web", "ingest", "check", "core", "data")


def pytest_collection_modifyitems(items):
    def area(item) -> int:
        name = Path(str(item.path)).relative_to(config.PROJECT_ROOT / "tests").parts[0]
        return AREAS_FIRST.index(name) if name in AREAS_FIRST else len(AREAS_FIRST)

    items.sort(key=area)  # stable: each file's tests keep their order
