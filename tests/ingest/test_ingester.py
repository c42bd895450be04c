"""`kb ingest` into a real database: passages, locators, search, candidates, stub cases,
idempotence, replacement, removal, and a run where some files cannot be read."""

from __future__ import annotations

import json

import pytest

from ingest.manifest import Manifest
from ingest_checks import assert_consistent, count, rows
from ingest_samples import BOARD_PAPER, FORMATS, Doc, DocSection, write_docx, write_pdf
from kb.database import signature
from kb.errors import KbError, ModelError
from kb.search import Filters, SearchEngine


def test_every_format_becomes_cited_searchable_passages(make_ingester, papers, db, data_copy,
                                                        embedder):
    lessons_before = count(db, "items", "kind != 'passage'")
    report = make_ingester().ingest([papers], case="west-london", date="2019-03")
    assert [o.status for o in report.outcomes] == ["added"] * len(FORMATS)
    assert report.failed == [] and report.new_cases == []
    assert sorted(r[0] for r in rows(db, "select format from documents")) == sorted(
        ["docx", "html", "md", "pdf", "pptx", "txt"])
    locators = {fmt: [r[0] for r in rows(
        db, "select p.locator from passages p join documents d on d.id = p.document "
            "where d.format = ? order by p.ordinal", [fmt])] for fmt in FORMATS}
    assert locators["pdf"] == ["page 1", "page 2", "page 3"]
    assert locators["pptx"] == ["slide 1", "slide 2", "slide 3"]
    for fmt in ("docx", "html", "md"):
        assert locators[fmt] == ['section "Background"', 'section "Conflict of interest"',
                                 'section "Finance and VAT"']
    assert locators["txt"][0].startswith("paragraphs 1–")
    passages = count(db, "passages")
    assert passages == sum(o.passages for o in report.outcomes)
    assert count(db, "items", "kind = 'passage'") == passages
    assert count(db, "embeddings", "kind = 'passage'") == passages
    assert count(db, "items", "kind != 'passage'") == lessons_before
    assert_consistent(db)
    # Each document is recorded under data/ingested/ for rebuilds.
    entries = Manifest(data_copy).entries()
    assert {e.path for e in entries.values()} == {f"papers/board.{f}" for f in FORMATS}
    assert all(e.case == "west-london" and e.date == "2019-03" for e in entries.values())

    engine = SearchEngine(db, embedder=embedder)
    for mode in ("keyword", "semantic", "hybrid"):
        hits = engine.search("register of interests for conflicted governing body members",
                             mode=mode, filters=Filters.of(kind="passage"), limit=6).hits
        assert hits and all(h.kind == "passage" and h.case == "west-london" for h in hits)
        assert {h.locator for h in hits} >= {"page 2", "slide 2", 'section "Conflict of interest"'}
        assert all(h.source_title and h.title.startswith(h.source_title) for h in hits)


def test_candidates_are_stored_for_review_with_their_passage(make_ingester, papers, db):
    report = make_ingester().ingest([papers / "board.docx"], case="west-london")
    (outcome,) = report.outcomes
    found = rows(db, "select c.text, c.cue, c.themes, c.stage, c.status, p.locator "
                     "from candidates c join passages p on p.id = c.passage order by c.ordinal")
    assert outcome.candidates == len(found) == 4
    assert [(text[:30], cue, locator) for text, cue, _, _, _, locator in found] == [
        ("With hindsight the board would", "with hindsight", 'section "Conflict of interest"'),
        ("The need to declare interests ", "the need to", 'section "Conflict of interest"'),
        ("Commissioners should appoint a", "should", 'section "Conflict of interest"'),
        ("The key lesson is that tax adv", "lesson", 'section "Finance and VAT"')]
    assert all(status == "candidate" for *_, status, _ in found)
    assert "tax-vat" in json.loads(found[3][2])
    # Candidates are not lessons: search does not mix them in.
    assert count(db, "items", "kind = 'lesson' and title like 'The key lesson%'") == 0


def test_a_new_case_slug_makes_a_stub_case(make_ingester, papers, db):
    report = make_ingester().ingest([papers / "board.md"], case="north-east-alliance")
    assert report.new_cases == ["north-east-alliance"]
    assert rows(db, "select name, stub from cases where slug = 'north-east-alliance'") == [
        ("North east alliance", 1)]
    assert count(db, "cases", "stub = 0") == count(db, "cases") - 1
    assert_consistent(db)


def test_reingesting_unchanged_files_does_nothing(make_ingester, papers, db):
    make_ingester().ingest([papers], case="dudley")
    before = signature(db), rows(db, "select id, content_hash from embeddings order by 1, 2")
    report = make_ingester().ingest([papers], case="dudley")
    assert [o.status for o in report.outcomes] == ["unchanged"] * len(FORMATS)
    assert report.embedded == 0 and report.seconds < 5
    assert (signature(db), rows(db, "select id, content_hash from embeddings order by 1, 2")) \
        == before  # not a byte written


def test_a_changed_file_replaces_its_passages(make_ingester, papers, db, data_copy):
    ingester = make_ingester()
    ingester.ingest([papers / "board.docx"], case="dudley")
    (old_id,) = [r[0] for r in rows(db, "select id from documents")]
    changed = Doc(BOARD_PAPER.title, BOARD_PAPER.sections[:2] + [
        DocSection("Workforce", ["Staff transfer terms should be agreed before award."])])
    write_docx(papers / "board.docx", changed)
    report = ingester.ingest([papers / "board.docx"], case="dudley")
    assert [o.status for o in report.outcomes] == ["replaced"]
    (new_id,) = [r[0] for r in rows(db, "select id from documents")]
    assert new_id != old_id
    for table, column in (("passages", "document"), ("candidates", "document")):
        assert count(db, table, f"{column} = ?", [old_id]) == 0
    assert count(db, "items", "kind = 'passage' and id like ?", [old_id + "%"]) == 0
    assert [r[0] for r in rows(db, "select locator from passages order by ordinal")][-1] == \
        'section "Workforce"'
    assert report.reused == 2 and report.embedded == 1  # unchanged sections keep their vectors
    assert set(Manifest(data_copy).entries()) == {new_id}
    assert_consistent(db)


def test_a_new_title_or_date_updates_the_document_without_embedding(make_ingester, papers, db):
    ingester = make_ingester()
    ingester.ingest([papers / "board.pdf"], case="dudley")
    report = ingester.ingest([papers / "board.pdf"], case="dudley", title="Audit report",
                             date="2018-11")
    assert [o.status for o in report.outcomes] == ["replaced"] and report.embedded == 0
    assert rows(db, "select title, date from documents") == [("Audit report", "2018-11")]
    assert {r[0] for r in rows(db, "select source_title from items where kind = 'passage'")} \
        == {"Audit report"}
    with pytest.raises(KbError, match="--title names one document"):
        ingester.ingest([papers], case="dudley", title="One title for six files")


def test_removing_documents_by_file_and_by_folder(make_ingester, papers, db, data_copy):
    ingester = make_ingester()
    ingester.ingest([papers], case="brand-new-case")
    report = ingester.remove([papers / "board.pptx"])
    assert [(o.status, o.title) for o in report.outcomes] == [("removed", BOARD_PAPER.title)]
    assert count(db, "documents", "format = 'pptx'") == 0
    assert count(db, "documents") == len(FORMATS) - 1
    assert_consistent(db)
    # A moved file is found by its content.
    moved = papers.parent / "elsewhere.pdf"
    (papers / "board.pdf").rename(moved)
    assert [o.status for o in ingester.remove([moved]).outcomes] == ["removed"]
    report = ingester.remove([papers])
    assert [o.status for o in report.outcomes] == ["removed"] * (len(FORMATS) - 2)
    assert count(db, "documents") == count(db, "passages") == count(db, "candidates") == 0
    assert count(db, "cases", "slug = 'brand-new-case'") == 0  # the stub went with them
    assert Manifest(data_copy).entries() == {}
    assert_consistent(db)
    (failed,) = ingester.remove([papers / "never-ingested.pdf"]).outcomes
    assert failed.status == "failed" and failed.reason.startswith("not ingested")


def test_unreadable_files_are_reported_and_the_rest_is_ingested(make_ingester, papers, db,
                                                                tmp_path):
    make_ingester().ingest([papers / "board.txt"], case="dudley")
    kept = rows(db, "select * from passages")
    (papers / "zero.pdf").write_bytes(b"")
    with open(papers / "huge.pdf", "wb") as fh:
        fh.truncate(200 * 1_000_000)
    (papers / "figures.xlsx").write_bytes(b"PK\x03\x04 a spreadsheet")
    (papers / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EO")
    write_pdf(papers / "locked.pdf", BOARD_PAPER, user_password="secret")
    write_docx(papers / "blank.docx", Doc("", []))
    (papers / ".hidden.txt").write_text("ignored: hidden")
    (papers / "~$board.docx").write_bytes(b"ignored: an Office lock file")
    report = make_ingester().ingest([papers, tmp_path / "missing.pdf"], case="dudley")
    reasons = {o.path.name: o.reason for o in report.failed}
    assert reasons == {
        "missing.pdf": "no such file or folder",
        "zero.pdf": "empty file (0 bytes)",
        "huge.pdf": "too large (200 MB; the limit is 50 MB, set with --max-size)",
        "figures.xlsx": reasons["figures.xlsx"],
        "corrupt.pdf": reasons["corrupt.pdf"],
        "locked.pdf": "encrypted: it needs a password to open; ingest an unprotected copy",
        "blank.docx": "no text found",
    }
    assert reasons["figures.xlsx"].startswith("unknown type .xlsx")
    assert reasons["corrupt.pdf"].startswith("damaged or not really a PDF")
    assert sorted(o.path.name for o in report.of("added")) == sorted(
        f"board.{f}" for f in FORMATS if f != "txt")
    assert [o.path.name for o in report.of("unchanged")] == ["board.txt"]
    assert rows(db, "select * from passages where id in (%s)" % ",".join(
        f"'{r[0]}'" for r in kept)) == kept  # nothing already there was lost
    assert count(db, "documents") == len(FORMATS)
    assert_consistent(db)


def test_the_size_limit_can_be_set(make_ingester, papers):
    limit = 2000
    report = make_ingester(max_bytes=limit).ingest([papers], case="dudley")
    too_large = {p.name for p in papers.iterdir() if p.stat().st_size > limit}
    assert too_large and too_large != {p.name for p in papers.iterdir()}
    assert {o.path.name for o in report.failed} == too_large
    assert all("the limit is 0.002 MB" in o.reason for o in report.failed)
    everything = {p.name for p in papers.iterdir()}
    assert {o.path.name for o in report.of("added")} == everything - too_large


def test_a_database_embedded_with_another_model_is_refused(db, data_copy, embedder):
    import sqlite3

    from ingest.ingester import Ingester

    with sqlite3.connect(db) as conn:
        conn.execute("update meta set value = 'another-model' where key = 'model'")
    with pytest.raises(ModelError, match="embedded with another-model"):
        Ingester(db, data_copy, embedder=embedder)


def test_a_missing_database_says_to_build_it(tmp_path, data_copy, embedder):
    from ingest.ingester import Ingester
    from kb.errors import DatabaseError

    with pytest.raises(DatabaseError, match="kb build"):
        Ingester(tmp_path / "none.db", data_copy, embedder=embedder)
