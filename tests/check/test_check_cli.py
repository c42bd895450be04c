"""`kb check` as a user runs it, on real files of every format: its terminal review, its
JSON, its Markdown review, and one clear sentence for bad input. The command runs
in-process (tests/kb_in_process.py) with the session's model: a process each would load the
model a dozen times and show nothing more."""

from __future__ import annotations

import json
import os
import sys

import pytest
from plan_files import FORMATS, write_plan

from tests import kb_in_process

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ingest"))
from ingest_samples import BOARD_PAPER, write_pdf  # noqa: E402

PLAN = "riverside-obc"
VAT = "uc-vat-llp-unfunded"
# Where each format puts the LLP of section 5: by heading, page, slide or paragraph.
VAT_PLACE = {"md": 'section "5. The proposed provider"', "docx": 'section "5. The proposed provider"',
             "html": 'section "5. The proposed provider"', "pdf": "page 5", "pptx": "slide 5"}

def kb(*args, stdin: bytes | None = None):
    return kb_in_process.kb("check", *args, input=stdin, check=False)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plans")
    return {fmt: write_plan(folder, PLAN, fmt) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_the_vat_red_flag_first_where_the_plan_says_it(built_db, plans, fmt):
    result = kb(plans[fmt], "--json", "--db", built_db)
    assert result.returncode == 0, result.stderr
    review = json.loads(result.stdout)
    first = review["items"][0]
    assert (first["status"], first["lesson"]["id"]) == ("red-flag", VAT)
    if fmt in VAT_PLACE:
        assert first["plan"][0]["locator"] == VAT_PLACE[fmt]
    else:  # plain text is cited by paragraph
        assert first["plan"][0]["locator"].startswith("paragraph")


def test_the_json_has_the_stable_shape(built_db, plans):
    review = json.loads(kb(plans["md"], "--json", "--db", built_db).stdout)
    assert set(review) == {"plan", "summary", "items"}
    assert review["plan"] == {"title": "Riverside Health Board: Integrated Care for Older People",
                              "path": str(plans["md"]), "passages": review["plan"]["passages"]}
    summary = review["summary"]
    assert set(summary) == {"applies", "red_flags", "gaps", "covered"}
    assert summary["applies"] == len(review["items"]) == (
        summary["red_flags"] + summary["gaps"] + summary["covered"])
    statuses = [item["status"] for item in review["items"]]
    assert statuses == sorted(statuses, key=["red-flag", "gap", "covered"].index)
    for item in review["items"]:
        assert set(item) == {"status", "lesson", "plan", "why"}
        assert set(item["lesson"]) == {"id", "case", "title", "stage", "themes", "outcome",
                                       "recommendation", "source"}
        assert set(item["lesson"]["source"]) == {"title", "locator"}
        # Only a silent gap (a lesson of the plan's stages it never deals with) has no place.
        assert item["plan"] or item["status"] == "gap"
        assert all(set(p) == {"locator", "text", "score", "words"} for p in item["plan"])


def test_the_terminal_review_starts_with_the_summary_then_red_flags(built_db, plans):
    result = kb(plans["docx"], "--db", built_db)
    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert " lessons apply to this plan: " in lines[0] and "red flag" in lines[0]
    text = "\n".join(lines)
    assert text.index("Red flags (") < text.index("Gaps (") < text.index("Already covered (")
    assert "Nobody funded the VAT that the LLP structure created" in text
    assert "Recommendation:" in text and "Source:" in text and "In the plan, " in text


def test_stage_filter_and_stdin(built_db, plans):
    review = json.loads(kb("-", "--json", "--stage", "procurement", "--db", built_db,
                           stdin=plans["md"].read_bytes()).stdout)
    assert review["plan"]["path"] == "standard input"
    assert review["items"] and {i["lesson"]["stage"] for i in review["items"]} == {"procurement"}


def test_markdown_review_to_circulate(built_db, plans, tmp_path):
    out = tmp_path / "review.md"
    result = kb(plans["pdf"], "--markdown", out, "--db", built_db)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# Plan review: ")
    assert "lessons apply to this plan" in text
    assert text.index("## Red flags") < text.index("## Gaps") < text.index("## Already covered")
    assert "### Nobody funded the VAT that the LLP structure created" in text
    assert "**In the plan, page 5**" in text


def test_bad_plans_get_one_sentence_and_a_non_zero_exit(built_db, tmp_path):
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    locked = write_pdf(tmp_path / "locked.pdf", BOARD_PAPER, user_password="secret")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    big = tmp_path / "big.md"
    big.write_text("The trusts will form a partnership. " * 2000)
    odd = tmp_path / "plan.odt"
    odd.write_bytes(b"PK\x03\x04")
    cases = [
        ([empty], "empty.docx: empty file"),
        ([locked], "locked.pdf: encrypted"),
        ([broken], "broken.pdf: damaged"),
        ([big, "--max-size", "0.01"], "big.md: too large"),
        ([odd], "plan.odt: OpenDocument text is not supported"),
        ([tmp_path / "missing.pdf"], "missing.pdf: no such file"),
    ]
    for args, expected in cases:
        result = kb(*args, "--db", built_db)
        err = result.stderr
        assert result.returncode != 0, args
        assert expected in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    result = kb("-", "--db", built_db, stdin=b"")
    assert result.returncode != 0 and "standard input: it is empty" in result.stderr
