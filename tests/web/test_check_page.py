"""The plan check page (/-/check), through Datasette's in-process client (and at the end
in Chromium, against a real server): the same review as `kb check` from a pasted plan or
an uploaded file, its JSON, and hostile input (scripts, 10 MB, binary) answered with a
message, never a 500; nothing is stored."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from bench.plan_evaluate import PLANS_DIR
from web.check_page import MAX_BYTES
from tests import kb_in_process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "check"))
from plan_files import write_plan  # noqa: E402

PLAN = PLANS_DIR / "riverside-obc.md"
VAT = "uc-vat-llp-unfunded"


def post(site, path: str = "/-/check.json", **kwargs) -> httpx.Response:
    return site.post(path, **kwargs)


def ids(review: dict) -> list[tuple[str, str]]:
    return [(i["status"], i["lesson"]["id"]) for i in review["items"]]


def test_pasted_plan_gets_the_same_review_as_kb_check(site, built_db):
    web = post(site, data={"text": PLAN.read_text()})
    assert web.status_code == 200, web.text
    cli = json.loads(kb_in_process.kb("check", PLAN, "--json", "--db", built_db).stdout)
    review = web.json()
    assert ids(review) == ids(cli) and ids(review)[0] == ("red-flag", VAT)
    assert review["summary"] == cli["summary"]
    assert [p["score"] for i in review["items"] for p in i["plan"]] == \
        [p["score"] for i in cli["items"] for p in i["plan"]]


def test_uploaded_word_file_and_the_html_page(site, tmp_path):
    docx = write_plan(tmp_path, "riverside-obc", "docx")
    response = post(site, "/-/check", files={"file": ("riverside-obc.docx", docx.read_bytes())},
                    data={"stage": "award-assurance"})
    assert response.status_code == 200
    html = response.text
    assert "lessons apply to this plan" in html
    assert f'data-id="{VAT}" data-status="red-flag"' in html
    assert html.index(f'data-id="{VAT}"') == html.index("data-id=")  # first
    assert site.get("/-/check").status_code == 200  # the empty form


def test_hostile_input_is_escaped_or_refused_never_a_500(site):
    script = "<script>alert('x')</script>"
    text = f"# {script}\n\nThe trusts will form a limited liability partnership. {script}"
    page = post(site, "/-/check", data={"text": text})
    assert page.status_code == 200 and script not in page.text
    assert "&lt;script&gt;" in page.text

    big = post(site, content=b"The partnership will hold the contract. " * 260_000,
               headers={"content-type": "text/plain"})
    assert big.status_code == 413
    assert big.json()["error"].startswith("The plan is too large to check here (10.4 MB; "
                                          f"the limit is {MAX_BYTES / 1e6:g} MB)")

    binary = post(site, content=bytes(range(256)) * 40, headers={"content-type": "text/plain"})
    assert binary.status_code == 400 and "binary content" in binary.json()["error"]

    for bad in ({"data": {"text": "   "}}, {"files": {"file": ("plan.odt", b"PK\x03\x04")}},
                {"files": {"file": ("plan.pdf", b"%PDF-1.7 broken")}}):
        response = post(site, **bad)
        assert response.status_code == 400, response.text
        assert response.json()["error"]


def test_nothing_is_stored(site, built_db):
    before = built_db.stat().st_mtime_ns, built_db.stat().st_size
    post(site, data={"text": PLAN.read_text()})
    assert (built_db.stat().st_mtime_ns, built_db.stat().st_size) == before
    assert not list(built_db.parent.glob("*.md"))


@pytest.mark.browser
def test_paste_a_plan_and_see_the_vat_red_flag_first(page, server):
    page.goto(server.url + "-/check")
    page.locator("#kb-plan").fill(PLAN.read_text())
    page.locator("#kb-check").click()
    page.wait_for_selector("#kb-summary")
    assert "lessons apply to this plan" in page.locator("#kb-summary").inner_text()
    first = page.locator(".kb-check-item").first
    assert first.get_attribute("data-id") == VAT
    assert first.get_attribute("data-status") == "red-flag"
    assert "5. The proposed provider" in first.inner_text()
