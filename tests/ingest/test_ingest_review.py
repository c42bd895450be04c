"""Reviewing candidate lessons: accepting one writes a valid curated lesson into the real
case files without disturbing a byte of what is there; rejecting one hides it."""

from __future__ import annotations

import difflib
import json
import sqlite3

import pytest

from ingest import review
from ingest.build import build
from kb.casefiles import read_corpus
from ingest.manifest import Manifest
from ingest_checks import rows
from kb.errors import KbError, RecordErrors
from kb.search import Filters, SearchEngine


@pytest.fixture
def reviewed(make_ingester, papers, db):
    """The board paper (Word) ingested for west-london; its candidates by cue."""
    make_ingester().ingest([papers / "board.docx"], case="west-london", date="2019-03")
    return {cue: cid for cid, cue in rows(db, "select id, cue from candidates")}


def only_additions(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails if any line of `before` changed."""
    added = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
            a=before.splitlines(), b=after.splitlines(), autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), (tag, before.splitlines()[i1:i2])
        added += after.splitlines()[j1:j2] if tag == "insert" else []
    return added


def test_accepting_writes_a_curated_lesson_and_keeps_the_file_intact(reviewed, db, data_copy,
                                                                      embedder):
    case_path = data_copy / "cases" / "west-london.yaml"
    sources_path = data_copy / "sources.yaml"
    case_before, sources_before = case_path.read_text(), sources_path.read_text()
    lessons_before = read_corpus(data_copy).lesson_count
    candidate = reviewed["lesson"]

    done = review.accept(db, data_copy, candidate, stage="award-assurance")

    corpus = read_corpus(data_copy)  # still valid, with one more lesson
    assert corpus.lesson_count == lessons_before + 1
    (lesson,) = [l for c in corpus.cases for l in c.lessons if l.id == done.lesson]
    assert lesson.id.startswith("wl-the-key-lesson-is-that-tax-advice")
    # Each field is drafted from its own part of the text, or left as a clear form.
    sentence = ("The key lesson is that tax advice on the legal form of the provider must be "
                "taken before the contract is awarded.")
    assert lesson.lesson == sentence
    assert lesson.recommendation == review.TO_WRITE["recommendation"]
    assert "VAT position" in lesson.event and sentence not in lesson.event
    assert lesson.evidence[0].paraphrase == f"{lesson.event} {sentence}"
    assert "tax-vat" in lesson.themes and lesson.stage == "award-assurance"
    assert lesson.outcome == "guidance"
    (evidence,) = lesson.evidence
    assert (evidence.source, evidence.locator) == (done.source, 'section "Finance and VAT"')
    (source,) = [s for s in corpus.sources if s.id == done.source]
    assert (source.date, source.kind, source.reference) == ("2019-03", "document", "board.docx")
    # Every existing line is kept, in order: the lesson and its source are only added
    # (and the case's list of sources gains the document).
    case_after = case_path.read_text()
    sources_line = next(l for l in case_before.splitlines() if l.startswith("  sources: ["))
    added = [line for line in only_additions(
        case_before.replace(sources_line, ""),
        case_after.replace(sources_line[:-1] + f", {done.source}]", "")) if line.strip()]
    assert added[0].startswith(f"  # Accepted from candidate {candidate} (")
    assert added[1] == f"  - id: {done.lesson}"
    assert all(line.startswith("   ") for line in added[2:])
    assert only_additions(sources_before, sources_path.read_text())[0] == f"  - id: {done.source}"
    # The decision is recorded and the database knows it.
    assert rows(db, "select status, lesson from candidates where id = ?", [candidate]) == [
        ("accepted", done.lesson)]
    (entry,) = Manifest(data_copy).entries().values()
    assert entry.accepted == {candidate: done.lesson}
    # After a build the accepted lesson is searchable like any other.
    build(db, data_copy)
    hits = SearchEngine(db, embedder=embedder).search(
        "tax advice on the legal form of the provider", filters=Filters.of(kind="lesson")).hits
    assert hits[0].id == done.lesson and hits[0].locator == 'section "Finance and VAT"'


def test_accepting_with_the_curators_choices(reviewed, db, data_copy):
    done = review.accept(db, data_copy, reviewed["should"], title="Appoint an independent chair",
                         themes=("governance", "conflicts-of-interest"), stage="procurement",
                         outcome="went-well")
    (lesson,) = [l for c in read_corpus(data_copy).cases for l in c.lessons if l.id == done.lesson]
    assert done.lesson == "wl-appoint-an-independent-chair"
    assert (lesson.title, lesson.themes, lesson.stage, lesson.outcome) == (
        "Appoint an independent chair", ["governance", "conflicts-of-interest"], "procurement",
        "went-well")
    # A second lesson from the same document reuses its source.
    again = review.accept(db, data_copy, reviewed["the need to"],
                          title="Appoint an independent chair", themes=("governance",))
    assert again.lesson == "wl-appoint-an-independent-chair-2"
    assert [s.id for s in read_corpus(data_copy).sources].count(done.source) == 1


def test_accepting_into_a_stub_case_creates_its_case_file(make_ingester, papers, db, data_copy):
    make_ingester().ingest([papers / "board.pdf"], case="north-alliance", date="2020")
    (candidate,) = [r[0] for r in rows(db, "select id from candidates where cue = 'should'")]
    done = review.accept(db, data_copy, candidate, themes=("procurement",))
    assert done.new_case_file and done.case_file == data_copy / "cases" / "north-alliance.yaml"
    (case,) = [c for c in read_corpus(data_copy).cases if c.case.slug == "north-alliance"]
    assert case.case.name == "North alliance" and case.case.summary.startswith("Not yet recorded")
    assert [l.id for l in case.lessons] == [done.lesson]
    assert done.lesson.startswith("north-alliance-commissioners-should-appoint")
    assert case.lessons[0].evidence[0].locator == "page 2"


def test_rejecting_hides_a_candidate_and_can_be_undone_by_accepting(reviewed, db, data_copy):
    candidate = reviewed["with hindsight"]
    review.reject(db, data_copy, candidate)
    listed = {r["id"] for r in review.listing(db)}
    assert candidate not in listed and len(listed) == 3
    assert [r["id"] for r in review.listing(db, status="rejected")] == [candidate]
    (entry,) = Manifest(data_copy).entries().values()
    assert entry.rejected == [candidate]
    review.accept(db, data_copy, candidate, themes=("procurement",))
    (entry,) = Manifest(data_copy).entries().values()
    assert entry.rejected == [] and list(entry.accepted) == [candidate]


def test_listing_by_case_with_document_and_locator(reviewed, make_ingester, papers, db):
    make_ingester().ingest([papers / "board.md"], case="dudley")
    west = review.listing(db, cases=("west-london",))
    assert len(west) == 4 and {r["case"] for r in west} == {"west-london"}
    first = west[0]
    assert first["document_title"] == "Integrated care contract: review for the governing body"
    assert first["locator"] == 'section "Conflict of interest"'
    assert first["path"].endswith("board.docx") and isinstance(first["themes"], list)
    assert len(review.listing(db, status="all")) == 8
    json.dumps(west)  # the shape `kb candidates --json` prints


def test_what_cannot_be_accepted(reviewed, make_ingester, papers, db, data_copy):
    case_before = (data_copy / "cases" / "west-london.yaml").read_text()
    with pytest.raises(KbError, match="No candidate 'c-nope'"):
        review.accept(db, data_copy, "c-nope")
    with pytest.raises(KbError, match="Unknown theme 'vat'"):
        review.accept(db, data_copy, reviewed["should"], themes=("vat",))
    with pytest.raises(KbError, match="Unknown outcome"):
        review.accept(db, data_copy, reviewed["should"], outcome="fine")
    untagged = reviewed["should"]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update candidates set themes = '[]' where id = ?", [untagged])
    conn.close()
    with pytest.raises(KbError, match="has no clear theme: give one or more with --theme"):
        review.accept(db, data_copy, untagged)
    assert (data_copy / "cases" / "west-london.yaml").read_text() == case_before
    done = review.accept(db, data_copy, reviewed["should"], themes=("governance",))
    with pytest.raises(KbError, match=f"already accepted as lesson {done.lesson}"):
        review.accept(db, data_copy, reviewed["should"])
    with pytest.raises(KbError, match=f"is already lesson {done.lesson}"):
        review.reject(db, data_copy, reviewed["should"])


def test_a_recommendation_is_drafted_as_one(reviewed, db, data_copy):
    done = review.accept(db, data_copy, reviewed["should"], themes=("procurement",))
    (lesson,) = [l for c in read_corpus(data_copy).cases for l in c.lessons if l.id == done.lesson]
    assert lesson.recommendation == ("Commissioners should appoint an independent chair for "
                                     "the evaluation panel.")
    assert lesson.lesson == review.TO_WRITE["lesson"]
    assert "declare interests" in lesson.event and "independent chair" not in lesson.event


def test_a_document_without_a_date_can_be_accepted(make_ingester, papers, db, data_copy):
    """Plain text with no date in it: the source is written without one."""
    make_ingester().ingest([papers / "board.txt"], case="dudley")
    (undated,) = [r[0] for r in rows(db, "select c.id from candidates c join documents d on "
                                         "d.id = c.document where d.date is null limit 1")]
    done = review.accept(db, data_copy, undated, themes=("procurement",))
    (source,) = [s for s in read_corpus(data_copy).sources if s.id == done.source]
    assert source.date is None and source.reference == "board.txt"
    assert "date:" not in (data_copy / "sources.yaml").read_text().split(f"id: {done.source}")[1]


def test_a_broken_case_file_is_reported_before_anything_is_written(reviewed, db, data_copy):
    broken = data_copy / "cases" / "dudley.yaml"
    broken.write_text(broken.read_text().replace("stage: strategy", "stage: someday", 1))
    sources_before = (data_copy / "sources.yaml").read_text()
    with pytest.raises(RecordErrors, match="dudley.yaml, line .*stage"):
        review.accept(db, data_copy, reviewed["should"], themes=("procurement",))
    assert (data_copy / "sources.yaml").read_text() == sources_before
    assert rows(db, "select status from candidates where id = ?", [reviewed["should"]]) == [
        ("candidate",)]


def test_accepting_keeps_a_leading_document_marker_comments_and_crlf(reviewed, db, data_copy):
    case_path = data_copy / "cases" / "west-london.yaml"
    sources_path = data_copy / "sources.yaml"
    header = "# West London: curated by the programme office.\n# Do not reorder.\n---\n"
    for path in (case_path, sources_path):
        path.write_bytes((header + path.read_text()).replace("\n", "\r\n").encode())
    case_before, sources_before = case_path.read_bytes(), sources_path.read_bytes()
    done = review.accept(db, data_copy, reviewed["lesson"], title="Take tax advice early")
    for before, after in ((case_before, case_path.read_bytes()),
                          (sources_before, sources_path.read_bytes())):
        assert after.startswith(header.replace("\n", "\r\n").encode())
        assert b"\n" not in after.replace(b"\r\n", b""), "every line keeps its CRLF"
        # Only additions, but for the case's list of sources, which gains the document.
        before, after = before.decode(), after.decode()
        sources_line = next((line for line in before.splitlines()
                             if line.startswith("  sources: [")), "")
        assert only_additions(before.replace(sources_line, ""), after.replace(
            sources_line[:-1] + f", {done.source}]", ""))
