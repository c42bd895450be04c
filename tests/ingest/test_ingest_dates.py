"""A document's date is read from the document when ingest is not given one: a date
written at its top first, else the file's properties; ingest says which."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest.dates import written_date
from ingest_checks import rows
from ingest_samples import BOARD_PAPER, Doc, DocSection, write_docx, write_pdf
from test_ingest_cli import kb


@pytest.mark.parametrize("text,expected", [
    ("Post-award lessons review, 14 May 2019", "2019-05-14"),
    ("Governing body, May 2019", "2019-05"),
    ("Minutes of 2019-05-14", "2019-05-14"),
    ("Meeting of May 14, 2019", "2019-05-14"),
    ("the 3rd of March 2020", "2020-03-03"),
    ("Sept. 2018", "2018-09"),
    ("In 2014 the CCG began to plan", None),        # a bare year is history, not a date
    ("We may 2019 differently", None),              # "may" the verb
    ("Dated 31 June 2019", None),                   # no such day
])
def test_a_date_written_in_the_text(text, expected):
    assert written_date([text]) == expected


def test_only_the_top_of_the_document_is_read():
    assert written_date(["Introduction"] * 12 + ["Revised 1 April 2021"]) is None
    assert written_date(["Title", "Report to the board", "1 April 2021"]) == "2021-04-01"


def test_the_date_written_on_the_first_page_of_a_word_document(make_ingester, tmp_path, db):
    dated = Doc(BOARD_PAPER.title, [DocSection("Background", ["Report to the governing body, "
                                                           "14 May 2019."] + BOARD_PAPER.sections[0].paragraphs),
                                    *BOARD_PAPER.sections[1:]])
    report = make_ingester().ingest([write_docx(tmp_path / "review.docx", dated)], case="dudley")
    (outcome,) = report.outcomes
    assert (outcome.date, outcome.date_from) == ("2019-05-14", "its text")
    assert rows(db, "select date from documents") == [("2019-05-14",)]


def test_a_pdf_dated_only_in_its_properties(make_ingester, tmp_path, db, monkeypatch):
    import fpdf

    real_output = fpdf.FPDF.output

    def output(self, *args, **kwargs):
        self.set_creation_date(datetime(2020, 3, 1, 9, 30))
        return real_output(self, *args, **kwargs)

    monkeypatch.setattr(fpdf.FPDF, "output", output)
    report = make_ingester().ingest([write_pdf(tmp_path / "audit.pdf", BOARD_PAPER)],
                                    case="dudley")
    (outcome,) = report.outcomes
    assert (outcome.date, outcome.date_from) == ("2020-03-01", "the file's properties")


def test_ingest_says_what_date_it_took_and_that_it_found_none(tmp_path, db, data_copy, papers):
    out = kb("ingest", papers / "board.txt", "--case", "dudley", db=db, data=data_copy).stdout
    assert "no date found: give one with --date YYYY-MM" in out
    stamped = tmp_path / "dated.md"
    stamped.write_text("# Alliance review\n\nPresented on 2 February 2021.\n\n## Findings\n\n"
                       "Commissioners should agree the alliance's decision rights before go-live.\n")
    out = kb("ingest", stamped, "--case", "dudley", db=db, data=data_copy).stdout
    assert "dated 2021-02-02 from its text: correct it with --date if wrong" in out
    # The stub-case message speaks of the file only as something accepting will create.
    out = kb("ingest", papers / "board.md", "--case", "north-alliance", db=db,
             data=data_copy).stdout
    assert "'north-alliance' is a new stub case: accepting one of its candidate lessons creates" in out
    assert not (data_copy / "cases" / "north-alliance.yaml").exists()
