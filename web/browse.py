"""Pages that look across the knowledge base: /-/compare (where every programme stumbled),
/-/checklist (one stage's lessons to print) and /-/briefing (the lessons a reader kept).

Each has its JSON at the same path with `.json`. The compare page's numbers are
kb.overview's one query; the checklist's lessons come from kb.catalog. Both read through
the Site's catalog in a thread, not Datasette's SQL threads (guard.py). The briefing is
kept in the browser (localStorage: nothing is stored here); /-/briefing.md turns its
lesson ids into the same Markdown as the TUI's briefing export.
"""

from __future__ import annotations

import asyncio
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING
from urllib.parse import quote

from datasette import Response
from datasette.utils.asgi import Request

from kb.briefing import briefing_markdown
from kb.errors import DatabaseError, KbError, QueryError
from kb.labels import outcome_name
from kb.overview import overview
from kb.vocabulary import STAGES, THEMES, label
from web.hits import row_url
from web.site import DATABASE, Site, site_for

if TYPE_CHECKING:  # datasette.app imports this plugin: import it for types only
    from datasette.app import Datasette

MAX_BRIEFING = 200  # lessons in one exported briefing (the knowledge base has ~160)
CHECKLIST_SQL = """
select lessons.id, lessons.title, lessons.recommendation, lessons.outcome, lessons.themes,
       cases.name as case_name
from lessons join cases on cases.slug = lessons."case"
where lessons.stage = ?
order by cases.name, lessons.outcome != 'went-wrong', lessons.rowid
"""


def _site(datasette: Datasette) -> Site:
    site = site_for(datasette)
    if isinstance(site, str):
        raise DatabaseError(site)
    return site


def _as_json(request: Request) -> bool:
    return request.url_vars.get("format") == ".json"


async def compare_view(datasette: Datasette, request: Request) -> Response:
    """A stage × case matrix (lessons, with how many went wrong) and a theme × case heat
    map; every cell links to the lessons behind it."""
    try:
        site = _site(datasette)
        found = await asyncio.to_thread(lambda: overview(site.catalog.conn))
    except KbError as exc:
        return await _error(datasette, request, str(exc), 503)
    if _as_json(request):
        return Response.json({"ok": True, **found.to_json()})
    table = datasette.urls.table(DATABASE, "lessons")

    def link(column: str, key: str, case: str) -> str:
        return f"{table}?case={quote(case)}&{column}={quote(key)}"

    most = found.most_per_theme_cell or 1
    stages = [{"key": stage, "name": label(STAGES, stage), "cells": [
        {"case": case, "cell": found.cell(stage, case), "url": link("stage", stage, case)}
        for case in found.cases]} for stage in found.stage_order]
    themes = [{"key": theme, "name": label(THEMES, theme), "cells": [
        {"case": case, "n": (n := found.theme_counts[(theme, case)]),
         "level": 0 if not n else 1 + (4 * n) // (most + 1),
         "url": link("themes__arraycontains", theme, case)}
        for case in found.cases]} for theme in found.theme_order]
    return Response.html(await datasette.render_template("lessons_compare.html", {
        "cases": [{"slug": slug, "name": name, "url": row_url(datasette, "cases", slug)}
                  for slug, name in found.cases.items()],
        "stages": stages, "themes": themes, "most": most,
    }, request=request))


async def checklist_view(datasette: Datasette, request: Request) -> Response:
    """One stage's recommendations from every case, case by case (what went wrong first in
    each), to print: the case's name once above its items keeps the largest stage (87
    items) on two A4 pages, where naming it on every item took three."""
    stage = request.args.get("stage") or None
    error, lessons = None, []
    try:
        if stage is not None and stage not in STAGES:
            raise QueryError(f"Unknown stage {stage[:80]!r}: use one of {', '.join(STAGES)}.")
        site = _site(datasette)
        if stage:
            rows = await asyncio.to_thread(
                lambda: site.catalog.conn.execute(CHECKLIST_SQL, [stage]).fetchall())
            lessons = [dict(id=r["id"], title=r["title"], recommendation=r["recommendation"],
                            outcome=r["outcome"], outcome_name=outcome_name(r["outcome"]),
                            case_name=r["case_name"], url=row_url(datasette, "lessons", r["id"]))
                       for r in rows]
    except KbError as exc:
        error = str(exc)
    status = 400 if error else 200
    if _as_json(request):
        body = {"ok": False, "error": error} if error else {
            "ok": True, "stage": stage, "lessons": [
                {k: v for k, v in lesson.items() if k != "outcome_name"} for lesson in lessons]}
        return Response.json(body, status=status)
    return Response.html(await datasette.render_template("lessons_checklist.html", {
        "stage": stage, "stage_name": label(STAGES, stage) if stage in STAGES else None,
        "stages": [(key, label(STAGES, key)) for key in STAGES],
        "lessons": lessons, "error": error,
        "by_case": [(name, list(group)) for name, group in groupby(lessons, itemgetter("case_name"))],
        "went_wrong": sum(1 for lesson in lessons if lesson["outcome"] == "went-wrong"),
    }, request=request), status=status)


async def briefing_view(datasette: Datasette, request: Request) -> Response:
    """The briefing kept in this browser (drawn by lessons.js from localStorage)."""
    return Response.html(await datasette.render_template(
        "lessons_briefing.html", {}, request=request))


async def briefing_markdown_view(datasette: Datasette, request: Request) -> Response:
    """/-/briefing.md?id=…&id=…: those lessons as the TUI's Markdown briefing, grouped by
    theme. Nothing is kept: the ids come from the browser each time."""
    ids = list(dict.fromkeys(i for i in request.args.getlist("id") if i))[:MAX_BRIEFING]
    if not ids:
        return Response.text("Add lessons to the briefing first (the button on a lesson's "
                             "page), then export it.", status=400)
    try:
        site = _site(datasette)
        lessons = await asyncio.to_thread(site.catalog.lessons, ids)
    except KbError as exc:
        return Response.text(str(exc), status=503)
    if not lessons:
        return Response.text("None of these lessons is in the knowledge base any more.",
                             status=404)
    today = date.today()
    return Response(briefing_markdown(lessons, today=today), content_type=(
        "text/markdown; charset=utf-8"), headers={
        "Content-Disposition": f'attachment; filename="lessons-briefing-{today.isoformat()}.md"'})


async def _error(datasette: Datasette, request: Request, message: str, status: int) -> Response:
    if _as_json(request):
        return Response.json({"ok": False, "error": message}, status=status)
    return Response.html(await datasette.render_template(
        "error.html", {"error": message, "status": status, "title": None}, request=request),
        status=status)
