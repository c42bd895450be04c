"""The semantic search page (/-/search), through Datasette's in-process client: the same
top results as `kb search`, filters, links to rows, JSON, bad input answered with a message
and never a 500, and keyword results with a notice while the model is still loading."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.evaluate import load_queries, query_files
from kb.search import Filters
from tests import kb_in_process

QUERIES = [q.q for q in load_queries(query_files())]
VAT_QUERY = "VAT risk of LLP"


def ids(hits) -> list[str]:
    return [h["id"] if isinstance(h, dict) else h.id for h in hits]


def test_same_top_results_as_kb_search(site, built_db):
    queries = QUERIES[:12]
    out = kb_in_process.kb("search", "--json", "--db", built_db, *queries).stdout
    expected = [json.loads(line) for line in out.splitlines()]
    for query, cli in zip(queries, expected):
        web = site.search(q=query)
        assert web["mode"] == "hybrid" and "notice" not in web
        assert ids(web["hits"]) == ids(cli["hits"]), query
        assert [h["score"] for h in web["hits"]] == [h["score"] for h in cli["hits"]]


@pytest.mark.parametrize("mode", ["semantic", "keyword", "hybrid"])
def test_each_mode_ranks_as_the_engine_does(site, engine, mode):
    for query in QUERIES[12:20]:
        assert ids(site.search(q=query, mode=mode, limit=5)["hits"]) == \
            ids(engine.search(query, mode=mode, limit=5).hits), query


def test_vat_lesson_first_with_a_link_to_its_row(site):
    data = site.search(q=VAT_QUERY)
    first = data["hits"][0]
    assert first["id"] == "uc-vat-llp-unfunded"
    assert first["url"] == "/lessons/lessons/uc-vat-llp-unfunded"
    assert first["source"]["title"].startswith("UnitingCare Partnership contract")
    assert site.get(first["url"]).status_code == 200
    html = site.get("/-/search", params={"q": VAT_QUERY}).text
    links = re.findall(r'<a class="kb-title" href="([^"]+)"', html)
    assert links[0] == "/lessons/lessons/uc-vat-llp-unfunded"
    assert len(links) == len(data["hits"]) == 10
    assert all(site.get(link).status_code == 200 for link in links)


def test_json_by_suffix_or_parameter(site):
    by_suffix = site.search(q=VAT_QUERY, limit=3)
    by_param = site.get("/-/search", params={"q": VAT_QUERY, "limit": 3, "_json": 1}).json()
    assert ids(by_suffix["hits"]) == ids(by_param["hits"]) and len(by_param["hits"]) == 3
    assert by_suffix["ok"] is True and by_suffix["query"] == VAT_QUERY


def test_filters_restrict_results_as_the_engine_does(site, engine):
    params = dict(q="funding gap", theme=["finance", "risk"], kind="lesson",
                  outcome="went-wrong", limit=20)
    data = site.search(**params)
    assert data["hits"]
    for hit in data["hits"]:
        assert hit["kind"] == "lesson" and hit["outcome"] == "went-wrong"
        assert {"finance", "risk"} & set(hit["themes"])
    expected = engine.search("funding gap", limit=20, filters=Filters.of(
        theme=["finance", "risk"], kind="lesson", outcome="went-wrong"))
    assert ids(data["hits"]) == ids(expected.hits)
    by_case = site.search(q="procurement", case="dudley", stage="procurement")
    assert by_case["hits"] and all(h["case"] == "dudley" for h in by_case["hits"])


def test_empty_filter_values_mean_any(site):
    # What the form sends when a filter is left at "any".
    data = site.search(q=VAT_QUERY, mode="hybrid", case="", theme="", stage="", kind="",
                         outcome="")
    assert data["hits"][0]["id"] == "uc-vat-llp-unfunded"


@pytest.mark.parametrize("params, message", [
    ({"q": ""}, "The query is empty"),
    ({"q": "   "}, "The query is empty"),
    ({"q": "VAT", "mode": "fuzzy"}, "Unknown search mode 'fuzzy'"),
    ({"q": "VAT", "theme": "vat"}, "Unknown theme 'vat'"),
    ({"q": "VAT", "stage": "planning"}, "Unknown stage 'planning'"),
    ({"q": "VAT", "kind": "document"}, "Unknown kind 'document'"),
    ({"q": "VAT", "outcome": "bad"}, "Unknown outcome 'bad'"),
    ({"q": "VAT", "case": "nowhere"}, "Unknown case 'nowhere'"),
    ({"q": "VAT", "colour": "red"}, "Unknown filter 'colour'"),
    ({"q": "VAT", "limit": "0"}, "The limit must be a whole number from 1 to 100"),
    ({"q": "VAT", "limit": "ten"}, "The limit must be a whole number from 1 to 100"),
    ({"q": "VAT", "limit": "1000"}, "The limit must be a whole number from 1 to 100"),
    ({"q": "VAT", "limit": "\u00b2"}, "The limit must be a whole number from 1 to 100"),
    ({"q": "VAT", "limit": "-5"}, "The limit must be a whole number from 1 to 100"),
])
def test_bad_input_gets_a_clear_message(site, params, message):
    html = site.get("/-/search", params=params)
    assert html.status_code == 400
    assert message.replace("'", "&#39;") in html.text and 'class="kb-error"' in html.text
    assert 'name="q"' in html.text  # the form is there to try again
    data = site.get("/-/search.json", params=params)
    assert data.status_code == 400
    assert data.json()["ok"] is False and message in data.json()["error"]


@pytest.mark.parametrize("query", [
    '"unbalanced', "AND OR NOT", "NEAR(vat llp, 2)", "vat*", "-vat", "^vat", "col:vat",
    "'; drop table lessons; --", "{}[]()", "\u00e9t\u00e9 \u2014 \U0001f600", "%", "\\", "\x00vat",
])
def test_operator_laden_queries_never_fail(site, query):
    for mode in ("keyword", "hybrid"):
        response = site.get("/-/search.json", params={"q": query, "mode": mode})
        assert response.status_code == 200, (query, response.text)
        assert response.json()["ok"] is True
    assert site.get("/-/search", params={"q": query}).status_code == 200


def test_a_huge_query_is_searched_in_part_with_a_notice(site):
    query = "VAT risk of LLP " * 2000  # 32,000 characters
    data = site.search(q=query)
    assert data["hits"] and "only its first 2,000 characters" in data["notice"]
    html = site.get("/-/search", params={"q": query})
    assert html.status_code == 200 and "only its first 2,000 characters" in html.text


def test_the_page_without_a_query_is_the_form(site):
    response = site.get("/-/search")
    assert response.status_code == 200
    assert 'name="q"' in response.text and 'class="kb-error"' not in response.text
    assert site.get("/-/search.json").json() == {"ok": True, "query": None, "hits": []}


def test_server_timing_header(site):
    response = site.get("/-/search", params={"q": VAT_QUERY})
    timing = dict(re.findall(r"(\w+);dur=([\d.]+)", response.headers["server-timing"]))
    assert 0 < float(timing["search"]) <= float(timing["page"])


def test_while_the_model_loads_keyword_results_come_with_a_notice(built_db):
    """The model's load is held back (its lock taken) so it is still "loading": requests
    are answered at once, by keyword, with a notice; once loaded, by meaning."""
    from web import model
    from web.server import create
    from web.site import site_for

    async def scenario(datasette, site):
        try:
            # Were the request to wait for the model, it would wait for ever: time it out.
            response = await asyncio.wait_for(
                datasette.client.get("/-/search.json?q=VAT+risk+of+LLP"), timeout=10)
            data = response.json()
            assert response.status_code == 200 and data["mode"] == "keyword"
            assert "still loading" in data["notice"]
            assert data["hits"][0]["id"] == "uc-vat-llp-unfunded"
            html = (await datasette.client.get("/-/search?q=VAT+risk+of+LLP")).text
            assert "Semantic search is still loading" in html
        finally:
            model._lock.release()
        for _ in range(600):
            if site.engine.embedder_ready:
                break
            await asyncio.sleep(0.05)
        data = (await datasette.client.get("/-/search.json?q=VAT+risk+of+LLP")).json()
        assert data["mode"] == "hybrid" and "notice" not in data

    def run():
        model._lock.acquire()  # released by scenario()
        try:
            datasette = create(built_db)  # starts loading the model, which waits for the lock
        except BaseException:
            model._lock.release()
            raise
        asyncio.run(scenario(datasette, site_for(datasette)))

    # A thread of its own: the browser tests' Playwright keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()


def test_filters_by_the_names_a_user_sees(site):
    data = site.search(q="tax", case="Uniting Care", outcome="went wrong", theme="Tax and VAT")
    assert data["ok"] and data["hits"]
    assert all(h["case"] == "uniting-care" and h["outcome"] == "went-wrong" for h in data["hits"])
    html = site.get("/-/search", params={"q": "tax", "case": "West London"}).text
    assert '<option value="west-london" selected>' in html


def test_strong_matches_are_counted_and_an_unanswered_query_says_so(site):
    html = site.get("/-/search", params={"q": VAT_QUERY}).text
    assert re.search(r"1 strong match, 9 more\s+for", html)
    assert 'id="kb-not-answered"' not in html and "strong match</span>" in html
    assert site.search(q=VAT_QUERY)["answered"] is True
    query = {"q": "ambulance response times in rural areas"}
    html = site.get("/-/search", params=query).text
    assert "Nothing in the knowledge base answers this closely. Nearest records:" in html
    assert "0 strong matches" in html and "weak match</span>" in html
    assert site.search(**query)["answered"] is False


def test_searched_for_after_a_correction(site):
    html = site.get("/-/search", params={"q": "conflcit of intrest"}).text
    assert "Searched for: conflict of interest" in html
