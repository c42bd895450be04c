"""The read queries behind the screens, and the briefing they feed (no UI needed)."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from kb.briefing import briefing_markdown, lesson_markdown, write_briefing
from kb.catalog import Catalog
from kb.errors import KbError
from tui_pilot import TODAY


def test_a_lesson_with_its_evidence_in_order(tui_db):
    lesson = Catalog(tui_db).lesson("uc-vat-llp-unfunded")
    assert lesson.case_name == "UnitingCare Partnership contract (Cambridgeshire and Peterborough)"
    assert lesson.themes == ("tax-vat", "finance", "legal-regulation", "contract-design")
    assert [e.source for e in lesson.evidence] == ["uniting-care-public-record", "ggi-dudley-2018"]
    assert lesson.evidence[1].citation == (
        "Developing an MCP: learning from the experience of Dudley CCG (Good Governance Institute "
        "with NHS Dudley CCG, 2018-05), Learning the lessons from the Vanguards and United Care")
    assert Catalog(tui_db).lesson("no-such-lesson") is None


def test_a_case_with_facts_timeline_and_lessons(tui_db):
    case = Catalog(tui_db).case("uniting-care")
    assert case.sources[0].startswith("UnitingCare Partnership contract: facts from the public")
    assert len(case.facts) == 8 and len(case.lessons) == 6
    assert [f.date for f in case.timeline] == ["2014-11", "2015-04-01", "2015-12-03", "2016-07-14"]
    assert all(f.date is None for f in case.key_facts)
    assert case.key_facts[0].id == "uc-bid-value"  # the curated order
    assert case.partners[0] == "UnitingCare Partnership LLP (UCP)"


def test_cases_themes_and_lessons_by_theme(tui_db):
    catalog = Catalog(tui_db)
    assert [(c.slug, c.lessons, c.facts) for c in catalog.cases()] == [
        ("dudley", 6, 6), ("sunderland", 4, 5), ("uniting-care", 6, 8)]
    assert catalog.stats.by_theme["finance"] == 5
    assert [r.id for r in catalog.lessons_with_theme("tax-vat")] == ["uc-vat-llp-unfunded"]
    wanted = ["uc-bid-evaluation-in-silos", "gone", "dud-procurement-not-an-add-on"]
    assert [r.id for r in catalog.lessons(wanted)] == [wanted[0], wanted[2]]


def test_the_catalog_follows_a_rebuilt_file(tui_db, tmp_path):
    db, rebuilt = tmp_path / "lessons.db", tmp_path / "rebuilt.db"
    shutil.copy(tui_db, db)
    shutil.copy(tui_db, rebuilt)
    with sqlite3.connect(rebuilt) as conn:
        conn.execute("delete from evidence where lesson = 'uc-vat-llp-unfunded'")
        conn.execute("delete from lessons where id = 'uc-vat-llp-unfunded'")
    conn.close()
    catalog = Catalog(db)
    assert catalog.lesson("uc-vat-llp-unfunded") is not None
    os.replace(rebuilt, db)  # as `kb build` swaps a new file in
    assert catalog.lesson("uc-vat-llp-unfunded") is None


def test_a_briefing_groups_by_first_theme_once_each(tui_db):
    catalog = Catalog(tui_db)
    lessons = catalog.lessons(["dud-open-engagement-built-legitimacy", "uc-vat-llp-unfunded",
                               "uc-optimism-bias-savings"])
    text = briefing_markdown(lessons, today=TODAY)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Finance", "## Tax and VAT", "## Engagement"]
    assert text.count("### ") == 3  # the VAT lesson is also about finance, but appears once
    assert "3 lessons from 2 cases" in text
    assert lesson_markdown(lessons[1]) in text.replace("### Nobody", "## Nobody")


def test_write_briefing_refuses_what_it_cannot_do(tui_db, tmp_path):
    lessons = Catalog(tui_db).lessons(["uc-vat-llp-unfunded"])
    with pytest.raises(KbError, match="shortlist is empty"):
        write_briefing(tmp_path / "b.md", [], today=TODAY)
    with pytest.raises(KbError, match="is a directory"):
        write_briefing(tmp_path, lessons, today=TODAY)
    path = write_briefing(tmp_path / "b.md", lessons, today=TODAY)
    assert path.read_text(encoding="utf-8").startswith("# Lessons briefing: 1 lesson from 1 case")
