"""Fixtures shared by every test area: a real database built from the real data/, once
per session, and a search engine over it with the real packaged model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb import config

DATA = config.PROJECT_ROOT / "data"


@pytest.fixture(scope="session")
def embedder():
    from kb.embeddings import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """data/ built into a temporary database (never the user's data/lessons.db)."""
    from ingest.build import build

    path = tmp_path_factory.mktemp("db") / "lessons.db"
    build(path, DATA)
    return path


@pytest.fixture(scope="session")
def engine(built_db, embedder):
    from kb.search import SearchEngine

    return SearchEngine(built_db, embedder=embedder)


@pytest.fixture
def seeded_db(tmp_path, built_db) -> Path:
    """Where a test builds its own database, holding a copy of the session's: the build
    replaces it but reuses its vectors by content hash (as every rebuild does), rather than
    embedding every record, word and plan sign again (12 s against 102 s under load).
    Embedding from nothing is tested once, by the session's build (tests/ingest/
    test_build_database.py), and by the tests that are about embedding."""
    path = tmp_path / "kb.db"
    shutil.copy(built_db, path)
    return path


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of data/ that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("*.db", ".*"))
    return target
