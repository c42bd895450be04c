"""`kb serve` over HTTP: the home page, browsing with facets, lesson pages, canned queries,
read-only access, and serving on across a rebuild. A real server on a loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import httpx
import pytest
from datasette.utils import parse_metadata
from ruamel.yaml import YAML

from kb.config import PROJECT_ROOT as ROOT
from kb.database import signature
from kb.schema import FTS, TABLES
from kb.stats import collect
from web import plugin_name
from web.pages import built
from web.server import metadata
from liveserver import KB, running_server
from tests import kb_in_process

VAT = "uc-vat-llp-unfunded"


def rows(server, path: str, **params) -> list[dict]:
    response = server.get(path, params={**params, "_shape": "array"})
    assert response.status_code == 200, response.text
    return response.json()


def test_home_page_shows_cases_sources_licence_and_freshness(server, built_db):
    stats = collect(built_db)
    html = server.get("/").text
    conn = sqlite3.connect(built_db)
    for (name,) in conn.execute("select name from cases"):
        assert name.replace("'", "&#39;") in html
    for (title,) in conn.execute("select title from sources"):
        assert title.replace("'", "&#39;").replace('"', "&#34;") in html
    assert "Lessons learned from NHS commissioning of integrated care" in html
    assert "Data license" in html and "MIT" in html
    built_day = stats.meta["built_at"][:10]
    assert f"Built {built_day}" in html and ("ago)" in html or "(just now)" in html)
    assert f"{stats.totals['lessons']} lessons" in html
    (uc_lessons,) = conn.execute(
        "select count(*) from lessons where \"case\" = 'uniting-care'").fetchone()
    assert f'<a href="/lessons/lessons?case=uniting-care">{uc_lessons}</a>' in html
    assert 'action="/-/search"' in html


def test_build_time_is_told_with_its_age():
    now = datetime(2026, 11, 23, 10, 40, tzinfo=timezone.utc)
    assert built("2026-11-23T07:34:43+00:00", now) == "2026-11-23 07:34 UTC (3 hours ago)"
    assert built("2026-11-22T10:39:00+00:00", now) == "2026-11-22 10:39 UTC (1 day ago)"
    assert built("2026-11-23T10:40:00+00:00", now) == "2026-11-23 10:40 UTC (just now)"
    assert built(None, now) is None and built("yesterday", now) is None


def test_lessons_facets_on_case_theme_stage_and_outcome(server, built_db):
    data = server.get("/lessons/lessons.json", params={"_size": 1}).json()
    facets = data["facet_results"]
    assert set(facets) == {"case", "themes", "stage", "outcome", "strength"}
    strengths = {r["value"]: r["count"] for r in facets["strength"]["results"]}
    assert set(strengths) == {"strong", "moderate", "weak"}
    assert sum(strengths.values()) == data["filtered_table_rows_count"]
    assert facets["themes"]["type"] == "array"
    themes = {r["value"]: r["count"] for r in facets["themes"]["results"]}
    (expected,) = sqlite3.connect(built_db).execute(
        "select count(*) from lessons, json_each(lessons.themes) where json_each.value = 'tax-vat'"
    ).fetchone()
    assert themes["tax-vat"] == expected
    # The theme facet filters: every lesson listed has the theme.
    listed = rows(server, "/lessons/lessons.json", themes__arraycontains="tax-vat", _size="max")
    assert len(listed) == expected and VAT in {r["id"] for r in listed}
    assert all("tax-vat" in json.loads(r["themes"]) for r in listed)


def test_lessons_table_has_column_descriptions_search_box_and_sort(server):
    html = server.get("/lessons/lessons").text
    folded = html.split('<details class="kb-columns">')[1].split("</details>")[0]
    assert "<dt>event</dt><dd>The driving event - what happened.</dd>" in folded
    assert 'name="_search"' in html and "/-/search" in html
    found = rows(server, "/lessons/lessons.json", _search="VAT LLP")
    assert VAT in {r["id"] for r in found}
    cases = [r["case"] for r in rows(server, "/lessons/lessons.json", _size="max")]
    assert cases == sorted(cases)  # metadata's default sort


def test_foreign_keys_show_labels(server):
    [row] = server.get("/lessons/lessons.json", params={
        "id": VAT, "_labels": "on", "_shape": "array"}).json()
    assert row["case"] == {"value": "uniting-care",
                           "label": "UnitingCare Partnership contract (Cambridgeshire and Peterborough)"}
    assert row["source"]["value"] == "uniting-care-public-record"
    assert row["source"]["label"].startswith("UnitingCare Partnership contract: facts")


INTERNAL = {"meta", "items", "embeddings", "search_segments", "search_postings", "adapters"}


def test_internal_and_full_text_tables_are_hidden(server):
    tables = server.get("/lessons.json").json()["tables"]
    visible = {t["name"] for t in tables if not t["hidden"]}
    hidden = {t["name"] for t in tables if t["hidden"]}
    assert visible == set(TABLES) - INTERNAL
    assert INTERNAL | {f"{table}_fts" for table in FTS} <= hidden
    assert {"items_fts_data", "lessons_fts_config", "cases_fts_idx", "facts_fts_docsize"} <= hidden


def test_every_browsable_table_and_column_is_described():
    tables = metadata()["databases"]["lessons"]["tables"]
    for name, spec in TABLES.items():
        if name not in INTERNAL:
            assert tables[name]["description"], name
            assert set(tables[name]["columns"]) == set(spec["columns"]), name
    # Foreign keys show names: every table they point to has a label column.
    referenced = {other for spec in TABLES.values() for _, other, _ in spec.get("foreign_keys", [])}
    assert referenced and all(tables[t]["label_column"] in TABLES[t]["columns"] for t in referenced)


def test_lesson_page_shows_case_source_evidence_and_similar_lessons(server, engine):
    html = server.get(f"/lessons/lessons/{VAT}").text
    assert 'href="/lessons/cases/uniting-care"' in html
    assert 'href="/lessons/sources/uniting-care-public-record"' in html
    assert "Evidence" in html and "neither UCP nor the CCG funded the VAT" in html
    similar = engine.similar("lesson", VAT, other_cases=True)
    assert similar and all(hit.case != "uniting-care" for hit in similar)
    assert "Similar lessons from other cases" in html
    positions = [html.index(f'data-id="{hit.id}"') for hit in similar]
    assert positions == sorted(positions)
    assert server.get("/lessons/sources/uniting-care-public-record").status_code == 200
    assert 'id="kb-strength">strong<' in html
    assert ('<span class="kb-evidence-kind">finding</span> · '
            '<span class="kb-standing">independent review</span>') in html


def test_a_merged_lessons_page_leads_to_the_lesson_it_was_merged_into(server):
    old = server.get("/lessons/lessons/wl-decisions-robust-to-challenge")
    assert old.status_code == 301
    assert old.headers["location"] == "/lessons/lessons/wl-keep-route-to-market-open"
    assert server.get(old.headers["location"]).status_code == 200
    assert server.get("/lessons/lessons/nosuch-row").status_code == 404


def test_canned_query_lessons_by_theme(server, built_db):
    found = rows(server, "/lessons/lessons_by_theme.json", theme="tax-vat")
    expected = {r[0] for r in sqlite3.connect(built_db).execute(
        "select id from lessons where themes like '%\"tax-vat\"%'")}
    assert {r["id"] for r in found} == expected and VAT in expected
    assert "UnitingCare Partnership contract (Cambridgeshire and Peterborough)" in {
        r["case_name"] for r in found}


def test_canned_query_case_timeline(server, built_db):
    found = rows(server, "/lessons/case_timeline.json", case="uniting-care")
    (dated,) = sqlite3.connect(built_db).execute(
        "select count(*) from facts where \"case\" = 'uniting-care' and date is not null").fetchone()
    assert len(found) == dated > 0
    assert [r["date"] for r in found] == sorted(r["date"] for r in found)


def test_canned_query_stage_checklist(server, built_db):
    found = rows(server, "/lessons/stage_checklist.json", stage="procurement")
    (count,) = sqlite3.connect(built_db).execute(
        "select count(*) from lessons where stage = 'procurement'").fetchone()
    assert len(found) == count > 0
    assert all(r["to do"].startswith("☐ ") for r in found)
    order = {"went-wrong": 0, "went-well": 1, "guidance": 2}
    assert [order[r["outcome"]] for r in found] == sorted(order[r["outcome"]] for r in found)


def test_canned_query_facts_by_case(server, built_db):
    found = rows(server, "/lessons/facts_by_case.json", case="dudley")
    (count,) = sqlite3.connect(built_db).execute(
        "select count(*) from facts where \"case\" = 'dudley'").fetchone()
    assert len(found) == count > 0 and all(r["source"] for r in found)


def test_no_writes_through_sql_canned_queries_or_posts(server, built_db):
    before = signature(built_db)
    for sql in ("delete from lessons", "insert into meta values ('x', 'y')",
                "update lessons set title = 'x'", "drop table lessons"):
        response = server.get("/lessons.json", params={"sql": sql, "_shape": "array"})
        assert response.status_code == 400, response.text
    queries = metadata()["databases"]["lessons"]["queries"]
    assert not any(q.get("write") for q in queries.values())
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/lessons/lessons", "/lessons/lessons_by_theme", "/lessons", "/-/search"):
            response = httpx.request(method, server.url.rstrip("/") + path, data={"theme": "x"})
            assert response.status_code == 405, (method, path, response.status_code)
            assert response.text == "This knowledge base is read-only."
    assert server.get("/lessons.json", params={
        "sql": "select count(*) as n from lessons", "_shape": "array"}).json()[0]["n"] > 0
    assert signature(built_db) == before
    # Datasette opened the file read-only (mode=ro), not immutable: it follows ingests.
    [database] = [d for d in server.get("/-/databases.json").json() if d["name"] == "lessons"]
    assert database["is_mutable"] is True


def test_serving_continues_across_a_rebuild(tmp_path, built_db, data_copy):
    db = tmp_path / "lessons.db"
    shutil.copy(built_db, db)
    case_file = data_copy / "cases" / "uniting-care.yaml"
    text = case_file.read_text()
    old_title = "Nobody funded the VAT that the LLP structure created"
    assert old_title in text
    case_file.write_text(text.replace(old_title, "Nobody budgeted for the VAT of the LLP"))
    with running_server(db, tmp_path / "serve.log") as server:
        assert server.get(f"/lessons/lessons/{VAT}.json").json()["rows"][0][2] == old_title
        statuses, done = [], threading.Event()

        def poll():
            while not done.is_set():
                statuses.append(server.get("/lessons/lessons?_facet=stage").status_code)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            kb_in_process.kb("build", "--db", db, "--data", data_copy)  # beside the server
        finally:
            done.set()
            poller.join()
        assert statuses and set(statuses) == {200}
        row = server.get(f"/lessons/lessons/{VAT}.json").json()["rows"][0]
        assert row[2] == "Nobody budgeted for the VAT of the LLP"
        hits = server.search(q="budgeted for the VAT", mode="keyword")["hits"]
        assert hits[0]["title"] == "Nobody budgeted for the VAT of the LLP"
        # The old file's connections are closed once its SQL threads are done.
        server.get("/lessons/lessons")
        deleted = [target for target in _open_files(server.process.pid)
                   if target.startswith(str(db)) and target.endswith("(deleted)")]
        assert deleted == []


def _open_files(pid: int) -> list[str]:
    """What the process's file descriptors point to (an unlinked file ends in "(deleted)")."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed since it was listed
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return targets


@pytest.mark.slow  # a real process embeds a database from nothing
def test_serve_builds_the_database_when_it_is_missing(tmp_path, data_copy):
    # One lesson is enough, and quick to embed (a build embeds every record, word, plan sign
    # and out-of-scope topic): keep uniting-care's VAT lesson, without its links to others.
    for case in (data_copy / "cases").glob("*.yaml"):
        if case.name != "uniting-care.yaml":
            case.unlink()
    case_file = data_copy / "cases" / "uniting-care.yaml"
    yaml = YAML()  # round-trip: the file is written back as it was, less the rest
    records = yaml.load(case_file)
    records["lessons"] = [lesson for lesson in records["lessons"] if lesson["id"] == VAT]
    for lesson in records["lessons"]:
        lesson.pop("related", None)
    yaml.dump(records, case_file)
    (data_copy / "redirects.yaml").unlink()  # its merges lead into the other cases
    (data_copy / "elsewhere.yaml").unlink()  # optional: 342 topics to embed
    db = tmp_path / "new" / "lessons.db"
    with running_server(db, tmp_path / "serve.log", env={"LESSONS_DATA": str(data_copy)}) as server:
        output = server.output()
        assert f"No database at {db}" in output and "built" in output
        assert f"Serving {db} read-only at {server.url}" in output
        assert db.exists()
        assert server.get(f"/lessons/lessons/{VAT}").status_code == 200


def test_serve_says_clearly_when_the_port_is_taken(built_db):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*KB, "serve", "--db", str(built_db), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_file_that_is_not_a_lessons_database(tmp_path):
    bogus = tmp_path / "lessons.db"
    sqlite3.connect(bogus).execute("create table t (x)").connection.close()
    result = subprocess.run([*KB, "serve", "--db", str(bogus), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "not a lessons database" in result.stderr


def test_kept_alive_connections_are_not_held_back(server):
    """Each response goes out at once (TCP_NODELAY): without it, every request on a
    kept-alive connection, as a browser makes them, waits ~40 ms for a delayed ACK."""
    with httpx.Client(base_url=server.url) as client:
        walls = []
        for _ in range(11):
            started = time.perf_counter()
            response = client.get("/-/search.json", params={"q": "vat", "mode": "keyword"})
            assert response.status_code == 200
            walls.append(time.perf_counter() - started)
    assert sorted(walls)[5] < 0.03, walls


def test_the_package_is_the_plugin_and_carries_its_templates_and_metadata(server):
    """Datasette finds the plugin's templates/ itself because the entry point names the
    package (no patch of Jinja's search path), and the metadata served is the root's
    metadata.yml, read as the package's data (web/metadata.yml links to it)."""
    plugins = {p["name"]: p for p in server.get("/-/plugins.json").json()}
    assert plugins[plugin_name()]["templates"] is True
    assert ROOT.joinpath("web", "metadata.yml").resolve() == ROOT / "metadata.yml"
    assert metadata() == parse_metadata((ROOT / "metadata.yml").read_text())


def test_the_plugin_has_its_hooks_when_kb_serve_imports_it_before_datasette():
    """`kb serve` imports web.commands (so the package) first; Datasette, loading its entry
    points on import, must still find every hook (it registered none when the package
    imported Datasette at its top)."""
    code = ("import web.commands\nfrom datasette.plugins import get_plugins\n"
            f"print(*next(p for p in get_plugins() if p['name'] == {plugin_name()!r})['hooks'])")
    hooks = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True, cwd=ROOT).stdout.split()
    assert {"startup", "register_routes", "extra_template_vars", "asgi_wrapper"} <= set(hooks)
