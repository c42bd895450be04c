"""`kb build`: a complete database, incremental embedding, atomic replacement, a new model
embedding everything again, and an open engine following a rebuild.

The tests that change data start from `db` (tests/ingest/conftest.py: the session's
database, as if built from the test's copy of data/), not from a build of that copy: a
rebuild of data/ that reuses every vector still costs about 3 CPU seconds, and the one
test about that rebuild makes it itself."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from ingest.build import build
from kb.casefiles import read_corpus
from kb.embeddings import PACKAGED_NAME
from kb.errors import ModelError, RecordErrors
from kb.items import lesson_parts
from kb.search import SearchEngine

VAT_LESSON = "uc-vat-llp-unfunded"


def _count(db, table):
    with sqlite3.connect(db) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


def test_build_writes_every_record_with_an_embedding(built_db):
    from tests.conftest import DATA

    corpus = read_corpus(DATA)
    assert _count(built_db, "lessons") == corpus.lesson_count
    assert _count(built_db, "facts") == corpus.fact_count
    assert _count(built_db, "cases") == len(corpus.cases)
    items = _count(built_db, "items")
    assert items == corpus.lesson_count + corpus.fact_count + len(corpus.cases)
    with sqlite3.connect(built_db) as conn:
        (vectors,) = conn.execute("select count(*) from embeddings "
                                  "where kind not in ('word', 'part', 'sign', 'elsewhere')").fetchone()
        (anchors,) = conn.execute("select count(*) from embeddings where kind = 'elsewhere'").fetchone()
        (words,) = conn.execute("select count(*) from embeddings where kind = 'word'").fetchone()
        (parts,) = conn.execute("select count(*) from embeddings where kind = 'part'").fetchone()
        (signs,) = conn.execute("select count(*) from embeddings where kind = 'sign'").fetchone()
        (sign_rows,) = conn.execute("select count(*) from plan_signs").fetchone()
    assert vectors == items and words > 1000  # every record, and the records' vocabulary
    # and each lesson's parts, for field-level matching (kb/items.py)
    assert parts == sum(len(lesson_parts(l)) for cf in corpus.cases for l in cf.lessons)
    assert signs == sign_rows > 1000  # every plan sign (kb check)
    assert anchors == len(corpus.elsewhere) >= 250  # every out-of-scope topic (kb/elsewhere.py)
    with sqlite3.connect(built_db) as conn:
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        (length,) = conn.execute("select distinct length(vector) from embeddings").fetchone()
        assert length == 384 * 4
        meta = dict(conn.execute("select key, value from meta"))
    assert meta["model"] == PACKAGED_NAME and meta["dimensions"] == "384"


def test_unchanged_rebuild_does_nothing_and_a_change_embeds_one(seeded_db, data_copy):
    db = seeded_db
    first = build(db, data_copy)  # another data folder: rebuilt, every vector reused
    records = first.lessons + first.facts + first.cases
    assert (first.embed.embedded, first.embed.reused) == (0, records)
    # the records' vocabulary (kb/neighbours.py), lesson parts and plan signs, reused too
    assert first.words.embedded == 0 and first.words.reused > 1000
    again = build(db, data_copy)
    assert again.up_to_date
    forced = build(db, data_copy, force=True)
    assert (forced.embed.embedded, forced.embed.reused) == (0, records)
    # the query adapter (kb/adapter.py) too, its questions and lessons being unchanged
    assert first.adapter.startswith("query adapter reused") and \
        forced.adapter.startswith("query adapter reused")

    path = data_copy / "cases" / "uniting-care.yaml"
    text = path.read_text()
    # One record changed: exactly one record embedded again.
    path.write_text(text.replace("the LLP structure created", "the LLP structure created for the trusts", 1))
    changed = build(db, data_copy)
    assert changed.embed.embedded == 1
    with sqlite3.connect(db) as conn:
        (title,) = conn.execute("select title from lessons where id = 'uc-vat-llp-unfunded'").fetchone()
    assert title.endswith("for the trusts")


def test_failed_build_leaves_the_old_database_untouched(tmp_path, db, data_copy, monkeypatch):
    before = db.read_bytes()
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    # A broken case file: stops before writing anything.
    path = data_copy / "cases" / "dudley.yaml"
    good = path.read_text()
    path.write_text(good.replace("stage:", "stage: nope\n    x:", 1))
    with pytest.raises(RecordErrors):
        build(db, data_copy)
    assert db.read_bytes() == before

    # A failure mid-build (new text, but the model directory is broken: it fails only when
    # the model is loaded, after the new file was begun): the temporary file is removed.
    path.write_text(good.replace("Dudley", "Dudley MCP", 1))
    broken = tmp_path / "no-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    monkeypatch.setenv("LESSONS_MODEL", str(broken))
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelError):
        build(db, data_copy)
    assert db.read_bytes() == before
    assert not any(p.name.endswith(".building") for p in tmp_path.iterdir())
    assert reader.execute("select count(*) from lessons").fetchone()[0] > 0


def test_readers_keep_a_consistent_view_across_a_rebuild(tmp_path, db, data_copy):
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    before = reader.execute("select count(*) from lessons").fetchone()[0]
    inode = db.stat().st_ino

    path = data_copy / "cases" / "uniting-care.yaml"
    text = path.read_text()
    start = text.index("  - id: uc-cost-of-failure")
    end = text.index("  - id: uc-", start + 1)
    path.write_text(text[:start] + text[end:])  # drop one lesson (one no other links to)
    build(db, data_copy)

    assert db.stat().st_ino != inode, "the new database must be a new file renamed into place"
    assert reader.execute("select count(*) from lessons").fetchone()[0] == before
    fresh = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert fresh.execute("select count(*) from lessons").fetchone()[0] == before - 1
    assert not any(p.name.endswith(".building") for p in tmp_path.iterdir())


def test_every_published_id_still_leads_somewhere(built_db):
    """A lesson merged into another (data/redirects.yaml) still opens, as that lesson."""
    from pathlib import Path

    from kb.catalog import Catalog

    published = (Path(__file__).parents[1] / "data" / "published-ids.txt").read_text().split()
    catalog = Catalog(built_db)
    facts = {row[0] for row in catalog.conn.execute("select id from facts")}
    merged = dict(catalog.conn.execute("select old_id, new_id from redirects"))
    assert merged, "the merges of issue #14 are recorded"
    for id in published:
        lesson = catalog.lesson(id)
        assert id in facts or lesson is not None, f"published id {id} leads nowhere"
        if id in merged:
            assert (lesson.id, lesson.redirected_from) == (merged[id], id)


@pytest.mark.slow  # embeds every record, word and sign again: that is what it tests
def test_a_database_of_the_fp32_model_is_embedded_again(tmp_path, built_db):
    """Databases built before the int8 model stored `all-MiniLM-L6-v2`: search refuses to
    mix the two, and the next build embeds every record again rather than reusing."""
    from ingest.build import fingerprint
    from kb.casefiles import read_corpus
    from kb.search import open_engine
    from tests.conftest import DATA

    old = tmp_path / "old.db"
    shutil.copy(built_db, old)
    stamp = fingerprint(read_corpus(DATA).files, "all-MiniLM-L6-v2")
    with sqlite3.connect(old) as conn:
        conn.execute("update embeddings set model = 'all-MiniLM-L6-v2'")
        conn.execute("update meta set value = 'all-MiniLM-L6-v2' where key = 'model'")
        conn.execute("update meta set value = ? where key = 'fingerprint'", [stamp])
        (records,) = conn.execute("select count(*) from embeddings "
                                  "where kind not in ('word', 'part', 'sign', 'elsewhere')").fetchone()
        (anchors,) = conn.execute("select count(*) from embeddings where kind = 'elsewhere'").fetchone()
    with pytest.raises(ModelError, match="embedded with all-MiniLM-L6-v2 .* run `kb build`"):
        open_engine(old).search("VAT risk of LLP", mode="semantic")
    report = build(old, DATA)
    assert not report.up_to_date and report.embed.reused == 0
    assert report.embed.embedded == records
    with sqlite3.connect(old) as conn:
        assert conn.execute("select distinct model from embeddings").fetchall() == [(PACKAGED_NAME,)]


def test_engine_reloads_after_a_rebuild(db, data_copy, embedder):
    engine = SearchEngine(db, embedder=embedder)
    assert engine.search("Zanzibar", mode="keyword").hits == []
    path = data_copy / "cases" / "uniting-care.yaml"
    path.write_text(path.read_text().replace("Nobody funded the VAT", "Zanzibar funded the VAT", 1))
    build(db, data_copy)
    assert engine.search("Zanzibar", mode="keyword").hits[0].id == VAT_LESSON
    assert engine.search("Zanzibar", mode="semantic", limit=400).hits
