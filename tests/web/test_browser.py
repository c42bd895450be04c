"""In a real headless Chromium: search for a lesson, follow it to its page, see its source
and the similar lessons from other cases; browse the home page and the theme facet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VAT_TITLE = "Nobody funded the VAT that the LLP structure created"
VAT_SOURCE = "UnitingCare Partnership contract: facts from the public record"


def test_search_then_follow_the_vat_lesson_to_its_page(page, server):
    page.goto(server.url + "-/search")
    page.locator("#q").fill("VAT risk of LLP")
    page.locator("#q").press("Enter")
    first = page.locator("#kb-results .kb-hit").first
    expect(first).to_have_attribute("data-id", "uc-vat-llp-unfunded")
    expect(first.locator("a.kb-title")).to_have_text(VAT_TITLE)
    expect(first.locator(".kb-source")).to_contain_text(VAT_SOURCE)
    assert page.locator("#kb-results .kb-hit").count() == 10
    assert "q=VAT+risk+of+LLP" in page.url

    first.locator("a.kb-title").click()
    expect(page).to_have_url(re.compile(r"/lessons/lessons/uc-vat-llp-unfunded$"))
    expect(page.locator("h1")).to_have_text(VAT_TITLE)
    source = page.locator("#kb-evidence a.kb-source").first
    expect(source).to_contain_text(VAT_SOURCE)
    expect(page.locator("#kb-evidence li")).to_have_count(2)
    similar = page.locator("#kb-similar .kb-hit")
    expect(similar).to_have_count(5)
    for n in range(5):
        expect(similar.nth(n).locator(".kb-meta").first).not_to_contain_text("UnitingCare")

    source.click()
    expect(page).to_have_url(re.compile(r"/lessons/sources/uniting-care-public-record$"))
    expect(page.locator("td.col-title")).to_contain_text(VAT_SOURCE)


def test_search_form_filters_and_mode(page, server):
    page.goto(server.url + "-/search")
    page.locator("#q").fill("funding gap")
    page.locator("#kb-mode").select_option("semantic")
    page.locator("#kb-theme").select_option("finance")
    page.locator("#kb-kind").select_option("lesson")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#kb-summary")).to_contain_text("semantic")
    hits = page.locator("#kb-results .kb-hit")
    expect(hits.first).to_be_visible()
    for n in range(hits.count()):
        expect(hits.nth(n)).to_have_attribute("data-kind", "lesson")
        expect(hits.nth(n).locator(".kb-meta").first).to_contain_text("finance")
    expect(page.locator("#kb-theme")).to_have_value("finance")


def test_a_bad_request_shows_a_message_in_the_page(page, server):
    response = page.goto(server.url + "-/search?q=VAT&mode=fuzzy")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Unknown search mode 'fuzzy'")


def test_home_page_then_the_theme_facet(page, server):
    page.goto(server.url)
    expect(page.locator("#kb-freshness")).to_contain_text("Built ")
    expect(page.locator("#kb-cases")).to_contain_text("UnitingCare Partnership contract")
    expect(page.locator("#kb-sources")).to_contain_text(VAT_SOURCE)
    page.get_by_role("link", name="lessons", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/lessons/lessons$"))
    page.locator(".facet-info[data-column=themes] a", has_text="tax-vat").first.click()
    expect(page).to_have_url(re.compile(r"themes__arraycontains=tax-vat"))
    expect(page.locator("td.col-title a", has_text=VAT_TITLE)).to_be_visible()
