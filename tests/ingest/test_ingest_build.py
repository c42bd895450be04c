"""`kb build` and ingested documents: a rebuild never drops them, and a fresh clone given
the same documents rebuilds the same database from the record in data/ingested/.

Builds here use a one-case data directory (`small_data`), so that a fresh build embeds a
handful of records rather than every curated lesson.
"""

from __future__ import annotations

import shutil

import pytest

from ingest.build import build
from ingest.manifest import Manifest
from ingest_checks import assert_consistent, count, rows

INGESTED = {  # table → the columns a rebuild must reproduce exactly
    "documents": "*",
    "passages": "*",
    "candidates": "*",
    "cases": "slug, name, stub",
    "items": "kind, id, \"case\", title, text, themes, source, source_title, locator, content_hash",
    "embeddings": "kind, id, model, content_hash, vector",
}


def snapshot(db) -> dict[str, list]:
    return {table: sorted(rows(db, f"select {columns} from {table}"), key=repr)
            for table, columns in INGESTED.items()}


@pytest.fixture
def db(small_db):
    return small_db


@pytest.fixture
def data_copy(small_data):
    return small_data


def ingested(make_ingester, papers, case="test-case"):
    report = make_ingester().ingest([papers], case=case, date="2019-03")
    assert not report.failed
    return report


def test_a_rebuild_keeps_ingested_documents(make_ingester, papers, db, data_copy):
    ingested(make_ingester, papers, case="new-trust")
    before = snapshot(db)
    assert build(db, data_copy).up_to_date  # an ingest leaves the database up to date
    report = build(db, data_copy, force=True)
    assert report.passages == count(db, "passages") > 0 and report.embed.embedded == 0
    assert snapshot(db) == before
    assert_consistent(db)


def test_a_rebuild_after_a_curated_change_keeps_them_too(make_ingester, papers, db, data_copy):
    ingested(make_ingester, papers)
    before = snapshot(db)["passages"]
    case_file = data_copy / "cases" / "test-case.yaml"
    case_file.write_text(case_file.read_text().replace(
        "Take tax advice before award.", "Take tax advice well before award."))
    report = build(db, data_copy)
    assert report.embed.embedded == 1
    assert snapshot(db)["passages"] == before
    assert_consistent(db)


def test_a_fresh_clone_rebuilds_the_same_database(make_ingester, papers, db, data_copy, tmp_path):
    ingested(make_ingester, papers, case="new-trust")
    fresh = tmp_path / "clone" / "lessons.db"
    report = build(fresh, data_copy)
    assert sorted(report.restored) == sorted(e.path for e in Manifest(data_copy).entries().values())
    assert report.missing == []
    assert snapshot(fresh) == snapshot(db)
    assert_consistent(fresh)
    assert build(fresh, data_copy).up_to_date


def test_a_build_reads_a_recorded_document_the_database_lacks(make_ingester, papers, db,
                                                               data_copy, tmp_path):
    shutil.copy(db, tmp_path / "backup.db")
    ingested(make_ingester, papers)
    expected = snapshot(db)
    shutil.copy(tmp_path / "backup.db", db)  # a database from before the ingest
    assert not build(db, data_copy).up_to_date
    assert snapshot(db) == expected


def test_documents_that_are_gone_or_changed_are_reported_not_guessed(make_ingester, papers, db,
                                                                     data_copy, tmp_path):
    ingested(make_ingester, papers)
    (papers / "board.pptx").unlink()
    (papers / "board.md").write_text("# Changed since\n\nNew words.\n")
    report = build(tmp_path / "fresh.db", data_copy)
    assert sorted(report.missing) == [
        "papers/board.md: changed since it was ingested: run `kb ingest` on it again",
        "papers/board.pptx: not found (ingest it again from where it is)"]
    assert len(report.restored) == 4
    assert "not rebuilt: papers/board.pptx" in report.summary()
    assert count(tmp_path / "fresh.db", "documents") == 4
    assert_consistent(tmp_path / "fresh.db")
    # A database that has them keeps them, whatever happened to the files.
    build(db, data_copy, force=True)
    assert count(db, "documents") == 6


def test_review_decisions_survive_a_fresh_rebuild(make_ingester, papers, db, data_copy, tmp_path):
    from ingest import review

    ingested(make_ingester, papers)
    (first, second) = [r[0] for r in rows(db, "select id from candidates order by id limit 2")]
    review.reject(db, data_copy, first)
    review.accept(db, data_copy, second, themes=("procurement",))
    fresh = tmp_path / "fresh.db"
    build(fresh, data_copy)
    assert rows(fresh, "select id, status from candidates where status != 'candidate' "
                       "order by id") == [(first, "rejected"), (second, "accepted")]
    assert snapshot(fresh)["candidates"] == sorted(
        rows(db, "select * from candidates"), key=repr)
