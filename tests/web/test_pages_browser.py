"""The lesson, case, compare and briefing pages in a real headless Chromium: what a reader
clicks, what the keyboard reaches, axe-core's accessibility check, and screenshots of
every page at 1280 and 390 px wide (kept under tests/web/screenshots/, not committed)."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kb.vocabulary import STAGES

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
VAT = "uc-vat-llp-unfunded"
WIDTHS = {"desktop": 1280, "phone": 390}
PAGES = {"home": "", "search": "-/search?q=VAT+risk+of+LLP", "lesson": f"lessons/lessons/{VAT}",
         "case": "lessons/cases/dudley", "compare": "-/compare",
         "checklist": "-/checklist?stage=procurement", "lessons": "lessons/lessons"}
AXE_PAGES = ("home", "search", "lesson", "case", "compare", "checklist", "lessons")


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core from tests/web/node_modules (`npm ci --prefix tests/web`, which make
    test-setup runs); skipped where it is not installed, except on CI."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run `npm ci --prefix tests/web`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def test_open_a_lesson_from_the_search_page_and_read_its_sections(page, server):
    page.goto(server.url + "-/search?q=VAT+risk+of+LLP")
    first = page.locator("#kb-results .kb-hit").first
    expect(first).to_have_attribute("data-id", VAT)
    first.locator("a.kb-title").click()
    expect(page).to_have_url(re.compile(rf"/lessons/lessons/{VAT}$"))
    title = sqlite3.connect(server_db(server)).execute(
        "select title from lessons where id = ?", [VAT]).fetchone()[0]
    expect(page.locator("h1")).to_have_text(title)
    expect(page.get_by_role("heading", level=2)).to_contain_text(
        ["What happened", "Lesson", "Recommendation", "Evidence", "Key facts",
         "Similar lessons from other cases"])
    expect(page.locator("#kb-similar .kb-hit")).to_have_count(5)
    page.locator("#kb-provenance a[href*='stage=']").click()
    expect(page).to_have_url(re.compile(r"/lessons/lessons\?stage="))


def server_db(server) -> str:
    return re.search(r"Serving (\S+) read-only", server.output()).group(1)


def test_a_case_timeline_has_one_mark_per_dated_fact(page, server):
    page.goto(server.url + "lessons/cases/dudley")
    dated = sqlite3.connect(server_db(server)).execute(
        "select count(*) from facts where \"case\" = 'dudley' and date is not null").fetchone()[0]
    marks = page.locator("#kb-timeline svg .kb-mark")
    expect(marks).to_have_count(dated)
    box = page.locator("#kb-timeline svg").bounding_box()
    assert box["width"] > 600 and box["height"] > 40  # drawn, not an empty element
    # Hover names the fact; the keyboard reaches a mark and follows it to its entry.
    assert marks.first.locator("title").text_content().startswith(
        "1. " + marks.first.get_attribute("data-date"))
    marks.first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#kb-fact-1$"))


def test_a_compare_cell_leads_to_its_lessons(page, server):
    page.goto(server.url + "-/compare")
    cell = page.locator("#kb-stage-matrix td a[data-stage='procurement']").first
    case, count = cell.get_attribute("data-case"), int(cell.inner_text().split()[0])
    cell.click()
    expect(page).to_have_url(re.compile(rf"case={case}&stage=procurement"))
    expect(page.locator("table.kb-lessons-table tbody tr")).to_have_count(count)
    expect(page.locator("h3").first).to_contain_text(f"{count} row")


def test_two_lessons_into_the_briefing_then_exported(page, server):
    titles = []
    for lesson in (VAT, "dud-external-support-filled-gaps"):
        page.goto(server.url + f"lessons/lessons/{lesson}")
        titles.append(page.locator("h1").inner_text())
        button = page.get_by_role("button", name="Add to briefing")
        button.focus()
        page.keyboard.press("Enter")  # from the keyboard
        expect(page.get_by_role("button", name="Remove from briefing")).to_be_visible()
    expect(page.locator(".kb-briefing-count")).to_have_text("2")
    page.get_by_role("link", name=re.compile("Your briefing")).first.click()
    expect(page.locator("#kb-briefing-list li")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export as Markdown").click()
    markdown = Path(download.value.path()).read_text()
    assert markdown.startswith("# Lessons briefing: 2 lessons from 2 cases")
    assert all(f"### {title}" in markdown for title in titles)
    expect(page.locator("#kb-briefing-markdown")).to_have_value(markdown)
    # Kept in this browser across pages, removed one at a time.
    page.get_by_role("button", name=f"Remove {titles[0]}").click()
    expect(page.locator("#kb-briefing-list li")).to_have_count(1)


def test_copy_as_markdown_puts_the_lesson_on_the_clipboard(chromium, server):
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(server.url + f"lessons/lessons/{VAT}")
        page.get_by_role("button", name="Copy as Markdown").click()
        expect(page.get_by_role("status")).to_have_text("Copied as Markdown.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("## ") and "**Recommendation.**" in copied
    finally:
        context.close()


def test_every_stage_checklist_prints_on_one_or_two_a4_pages(page, server):
    from pypdf import PdfReader

    for stage in STAGES:
        page.goto(server.url + f"-/checklist?stage={stage}")
        expect(page.locator("#kb-checklist li").first).to_be_attached()
        printed = PdfReader(io.BytesIO(page.pdf(format="A4")))
        assert 1 <= len(printed.pages) <= 2, (stage, len(printed.pages))
        text = "".join(p.extract_text() for p in printed.pages)
        assert "Your briefing" not in text and "Show the checklist" not in text


@pytest.mark.parametrize("name", AXE_PAGES)
def test_no_serious_accessibility_violations(page, server, axe_source, name):
    page.goto(server.url + PAGES[name])
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_its_width_and_is_kept_as_a_screenshot(chromium, server, width):
    """Nothing wider than the window but the compare tables, which scroll in their own
    box; the screenshots are for a reviewer to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    try:
        for name, path in PAGES.items():
            page.goto(server.url + path)
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
            if name != "lessons":  # Datasette's own table scrolls in its wrapper
                overflow = page.evaluate("document.documentElement.scrollWidth")
                assert overflow <= WIDTHS[width] + 1, (name, overflow)
    finally:
        context.close()
