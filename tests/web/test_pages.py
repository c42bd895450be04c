"""The lesson, case, compare, checklist and briefing pages and their JSON, over HTTP with
Datasette's in-process client (no server process: nothing here needs one). Every count
is checked against the database with SQL written here, not with the code under test."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from html import unescape

import pytest

from kb.briefing import briefing_markdown
from kb.catalog import Catalog
from kb.vocabulary import STAGES
from web import plugin_name
from liveserver import InProcess

VAT = "uc-vat-llp-unfunded"
RAW_LIST = re.compile(r'\[\s*"|\[\]')  # a JSON list as Datasette shows it raw


class Pages(InProcess):
    def __init__(self, site: InProcess, db):
        super().__init__(site.datasette)
        self.db = db

    def get(self, path: str, **params):
        return super().get(path, params=params or None)

    def html(self, path: str, **params) -> str:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text[:500]
        return response.text

    def sql(self, query: str, *args):
        return sqlite3.connect(self.db).execute(query, args).fetchall()


@pytest.fixture(scope="module")
def pages(site, built_db):
    return Pages(site, built_db)


def readable(html: str) -> str:
    """The text a person reads: the page without tags, scripts, styles and the hidden
    Markdown."""
    html = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_a_lesson_page_reads_as_prose_with_links_to_its_facets(pages):
    html = pages.html(f"/lessons/lessons/{VAT}")
    (title, event, lesson, recommendation, case, stage, outcome, themes) = pages.sql(
        'select title, event, lesson, recommendation, "case", stage, outcome, themes '
        "from lessons where id = ?", VAT)[0]
    assert re.search(rf'<h1 id="kb-lesson-title">{re.escape(title)}</h1>', html)
    text = readable(html)
    for heading, body in (("What happened", event), ("Lesson", lesson),
                          ("Recommendation", recommendation)):
        assert heading in text and body in unescape(html)
    assert f'href="/lessons/lessons?stage={stage}"' in html
    assert f'href="/lessons/lessons?outcome={outcome}"' in html
    assert "went wrong" in text  # the outcome in words, not colour alone
    for theme in json.loads(themes):
        assert f'href="/lessons/lessons?themes__arraycontains={theme}"' in html
    assert f'href="/lessons/cases/{case}"' in html
    (evidence,) = pages.sql("select count(*) from evidence where lesson = ?", VAT)[0]
    assert html.count('<a class="kb-source"') == evidence
    (key_facts,) = pages.sql('select count(*) from facts where "case" = ? and date is null',
                             case)[0]
    assert len(re.findall(r"<dt>", html.split('id="kb-key-facts"')[1].split("</dl>")[0])) \
        == key_facts
    assert not RAW_LIST.search(text)
    # The raw row stays one click away, and the Markdown to copy is the lesson's.
    assert f'href="/lessons/lessons/{VAT}.json"' in html
    markdown = unescape(html.split('id="kb-markdown"')[1].split("</textarea>")[0])
    assert f"## {title}" in markdown and recommendation in markdown


def test_evidence_strength_is_shown(pages):
    """The lesson's strength with what it rests on, and each evidence's kind and its
    source's standing, as the database holds them."""
    html = unescape(pages.html(f"/lessons/lessons/{VAT}"))
    (strength,) = pages.sql(f"select strength from lessons where id = '{VAT}'")[0]
    kinds = pages.sql(f"select distinct kind from evidence where lesson = '{VAT}'")
    assert f'id="kb-strength">{strength}<' in html
    assert all(f'<span class="kb-evidence-kind">{kind}</span>' in html for (kind,) in kinds)
    assert '<span class="kb-standing">' in html


def test_a_case_page_has_its_contract_timeline_lessons_and_sources(pages):
    html = pages.html("/lessons/cases/dudley")
    (name, summary, commissioner) = pages.sql(
        "select name, summary, commissioner from cases where slug = 'dudley'")[0]
    assert f"<h1>{name}</h1>" in unescape(html) and summary in unescape(html)
    assert commissioner in unescape(html)
    dated = pages.sql("select date from facts where \"case\" = 'dudley' and date is not null")
    svg = html.split('class="kb-timeline"')[1].split("</svg>")[0]
    assert svg.count('class="kb-mark"') == len(dated) > 5
    assert sorted(re.findall(r'data-date="([^"]+)"', svg)) == sorted(d for (d,) in dated)
    assert len(re.findall(r'<li id="kb-fact-\d+"', html)) == len(dated)
    # Lessons grouped by stage, in the vocabulary's order, what went wrong first.
    section = html.split('id="kb-case-lessons"')[1].split("</section>")[0]
    shown = re.findall(r"<h3>.*?\?stage=([\w-]+)", section)
    assert shown == [s for s in STAGES if s in {r[0] for r in pages.sql(
        "select stage from lessons where \"case\" = 'dudley'")}]
    for group in section.split("<h3>")[1:]:
        outcomes = re.findall(r'kb-outcome kb-([\w-]+)', group)
        assert outcomes == sorted(outcomes, key=lambda o: o != "went-wrong")
    (lessons,) = pages.sql("select count(*) from lessons where \"case\" = 'dudley'")[0]
    assert section.count('class="kb-outcome') == lessons
    (sources,) = pages.sql("select count(*) from case_sources where \"case\" = 'dudley'")[0]
    assert html.split('id="kb-case-sources"')[1].split("</ul>")[0].count("<li>") == sources
    assert not RAW_LIST.search(readable(html))


def test_compare_counts_every_stage_and_theme_of_every_case(pages):
    data = pages.get("/-/compare.json").json()
    slugs = [c["slug"] for c in data["cases"]]
    assert sorted(slugs) == sorted(s for (s,) in pages.sql("select slug from cases"))
    for row in data["stages"]:
        for cell in row["cells"]:
            expected = pages.sql(
                "select count(*), sum(outcome = 'went-wrong') from lessons "
                'where stage = ? and "case" = ?', row["stage"], cell["case"])[0]
            assert (cell["lessons"], cell["went_wrong"]) == (expected[0], expected[1] or 0)
    total = sum(c["lessons"] for row in data["stages"] for c in row["cells"])
    assert total == pages.sql("select count(*) from lessons")[0][0]
    for row in data["themes"]:
        for cell in row["cells"]:
            (expected,) = pages.sql(
                "select count(*) from lessons, json_each(lessons.themes) "
                'where json_each.value = ? and "case" = ?', row["theme"], cell["case"])[0]
            assert cell["lessons"] == expected


def test_a_compare_cell_links_to_exactly_its_lessons(pages):
    html = pages.html("/-/compare")
    links = re.findall(r'<a href="([^"]+)" data-case="([\w-]+)" data-stage="([\w-]+)"'
                       r'[^>]*>(\d+)', html)
    assert links
    url, case, stage, count = links[0]
    listed = pages.get(unescape(url).replace("/lessons/lessons?", "/lessons/lessons.json?")
                       + "&_shape=array&_size=max").json()
    assert len(listed) == int(count)
    assert {(r["case"], r["stage"]) for r in listed} == {(case, stage)}
    heat = re.findall(r'<a href="([^"]+)" data-case="([\w-]+)" data-theme="([\w-]+)">(\d+)', html)
    url, case, theme, count = heat[0]
    listed = pages.get(unescape(url).replace("/lessons/lessons?", "/lessons/lessons.json?")
                       + "&_shape=array&_size=max").json()
    assert len(listed) == int(count) and all(theme in json.loads(r["themes"]) for r in listed)


def test_the_checklist_chooses_a_stage_from_a_list(pages):
    html = pages.html("/-/checklist")
    assert '<select name="stage" id="kb-stage">' in html
    assert all(f'<option value="{stage}"' in html for stage in STAGES)
    assert 'id="kb-checklist"' not in html
    html = pages.html("/-/checklist", stage="procurement")
    rows = pages.sql("select recommendation, outcome from lessons where stage = 'procurement'")
    items = html.split('id="kb-checklist"')[1]
    assert items.count("<li>") == len(rows)
    groups = items.split('<h2 class="kb-checklist-case">')[1:]
    assert [g.split("</h2>")[0] for g in groups] == sorted(
        {unescape(n) for (n,) in pages.sql(
            "select cases.name from lessons join cases on cases.slug = lessons.\"case\" "
            "where stage = 'procurement'")})
    for group in groups:
        outcomes = re.findall(r'kb-outcome kb-([\w-]+)', group)
        assert outcomes == sorted(outcomes, key=lambda o: o != "went-wrong")
    data = pages.get("/-/checklist.json", stage="procurement").json()
    assert sorted(lesson["recommendation"] for lesson in data["lessons"]) == sorted(
        r for r, _ in rows)
    bad = pages.get("/-/checklist", stage="nosuch")
    assert bad.status_code == 400 and "Unknown stage 'nosuch'" in unescape(bad.text)


def test_the_lessons_table_is_readable(pages):
    html = pages.html("/lessons/lessons")
    header = re.findall(r'<th class="col-(\w+)" scope="col"', html)
    assert header == ["title", "case", "stage", "outcome", "themes"]
    table = html.split('class="rows-and-columns kb-lessons-table"')[1].split("</table>")[0]
    assert not RAW_LIST.search(readable(table))
    assert 'class="kb-chip" href="/lessons/lessons?themes__arraycontains=' in table
    rows = table.count("<tr>") - 1
    assert len(re.findall(r'<td class="col-title"><a href="/lessons/lessons/[\w-]+">', table)) \
        == rows > 10
    # The column dictionary is folded away, not above the data.
    assert html.index("<details class=\"kb-columns\">") < html.index("kb-lessons-table")
    assert ".table-lessons dl.column-descriptions { display: none; }" in pages.html(
        f"/-/static-plugins/{plugin_name()}/lessons.css")
    # Choosing columns gives Datasette's own table back.
    own = pages.html("/lessons/lessons", _col="event")
    assert "kb-lessons-table" not in own and 'data-column="event"' in own


def test_the_briefing_is_the_tuis_markdown(pages):
    ids = [VAT, "dud-external-support-filled-gaps"]
    response = pages.get("/-/briefing.md?" + "&".join(f"id={i}" for i in ids))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    lessons = Catalog(pages.db).lessons(ids)
    assert response.text == briefing_markdown(lessons, today=date.today())
    assert pages.get("/-/briefing.md").status_code == 400
    assert pages.get("/-/briefing.md?id=no-such-lesson").status_code == 404


def test_every_page_says_its_server_time(pages):
    """bench/web.py reads it; the search page's own timings stay in front."""
    for path in ("/", f"/lessons/lessons/{VAT}", "/-/compare", "/-/checklist?stage=operation"):
        response = pages.get(path)
        assert response.status_code == 200
        assert re.fullmatch(r"total;dur=[\d.]+", response.headers["server-timing"])
    timing = pages.get("/-/search?q=VAT").headers["server-timing"]
    assert re.fullmatch(r"search;dur=[\d.]+, page;dur=[\d.]+, total;dur=[\d.]+", timing)


def test_timeline_marks_close_in_time_go_to_other_lanes():
    """No mark hides another: marks nearer than a mark's width share no lane; an undated or
    unreadable date is left off the picture (it is still listed as a key fact)."""
    from kb.catalog import FactView
    from web.timeline import MIN_SPACING, marks, timeline_svg

    dates = ["2016-04", "2016-04-02", "2016-05", "2019", None, "sometime"]
    facts = [FactView(f"f{n}", f"fact {n}", "value", d, None, "a source", "p. 1")
             for n, d in enumerate(dates)]
    placed = marks(facts)
    assert [m.fact.date for m in placed] == ["2016-04", "2016-04-02", "2016-05", "2019"]
    for a in placed:
        for b in placed:
            if a is not b and a.lane == b.lane:
                assert abs(a.x - b.x) >= MIN_SPACING
    assert len({m.lane for m in placed[:3]}) > 1
    svg = timeline_svg(facts, label="test")
    assert svg.count('class="kb-mark"') == 4 and "<title>1. 2016-04: fact 0: value" in svg
    assert timeline_svg(facts[4:], label="none") == ""
