"""What the home page, a lesson's page and a case's page show beyond Datasette's own
content (given to their templates, row-lessons-lessons.html and row-lessons-cases.html,
through the plugin's extra_template_vars).

Records come from kb.catalog (the same reads as the TUI's screens) in a thread, never
Datasette's SQL threads, which SQL typed by readers may keep busy (guard.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

from datasette.utils import tilde_decode

from kb.briefing import lesson_markdown
from kb.catalog import STANDING_NAMES, FactView
from kb.labels import outcome_name
from kb.stats import collect
from kb.vocabulary import STAGES, THEMES, label
from web.hits import case_names, hit_view, row_url
from web.site import DATABASE, Site
from web.timeline import marks, timeline_svg

if TYPE_CHECKING:  # datasette.app imports this plugin: import it for types only
    from datasette.app import Datasette


async def home(site: Site, datasette: Datasette) -> dict:
    """The knowledge base at a glance: its cases, its sources and how fresh the build is."""
    stats = await asyncio.to_thread(collect, site.path)
    db = datasette.get_database(DATABASE)
    cases = (await db.execute(
        "select slug, name, commissioner, status from cases order by name")).rows
    sources = (await db.execute(
        "select id, title, publisher, date, kind, url from sources order by date desc, title")).rows
    return {"kb_home": {
        "totals": stats.totals,
        "size_mb": stats.size_bytes / 1e6,
        "model": stats.meta.get("model"),
        "built": built(stats.meta.get("built_at")),
        "cases": [dict(case, counts=stats.by_case.get(case["slug"], {}),
                       url=row_url(datasette, "cases", case["slug"]))
                  for case in map(dict, cases)],
        "sources": [dict(source, row_url=row_url(datasette, "sources", source["id"]))
                    for source in map(dict, sources)],
    }}


async def lesson(site: Site, datasette: Datasette, lesson_id: str) -> dict:
    """A lesson as prose: its case, stage, outcome and themes as links to the faceted
    table, its evidence with each source, its case's key facts, the most similar lessons
    from other cases, and itself as Markdown (to copy, or for the briefing)."""
    record = await asyncio.to_thread(site.catalog.lesson, lesson_id)
    if record is None:
        return {"kb_lesson": None}
    similar = await asyncio.to_thread(site.engine.similar, "lesson", lesson_id, other_cases=True)
    case = await asyncio.to_thread(site.catalog.case, record.case)
    cases = await case_names(site)
    table = datasette.urls.table(DATABASE, "lessons")
    return {"kb_lesson": {
        "id": record.id,
        "title": record.title,
        "case": dict(name=record.case_name, url=row_url(datasette, "cases", record.case),
                     lessons_url=f"{table}?case={quote(record.case)}"),
        "stage": _term(table, "stage", record.stage, label(STAGES, record.stage)),
        "outcome": _term(table, "outcome", record.outcome, outcome_name(record.outcome)),
        "themes": [_term(table, "themes__arraycontains", theme, label(THEMES, theme))
                   for theme in record.themes],
        "event": record.event, "lesson": record.lesson,
        "recommendation": record.recommendation,
        "strength": record.strength, "basis": record.basis,
        "evidence": [dict(source_title=e.source_title, locator=e.locator, paraphrase=e.paraphrase,
                          publisher=e.publisher, date=e.date,
                          source_url=row_url(datasette, "sources", e.source),
                          kind=e.kind, standing=STANDING_NAMES.get(e.standing, e.standing))
                     for e in record.evidence],
        "key_facts": [_fact(f) for f in case.key_facts] if case else [],
        "similar": [hit_view(datasette, hit, cases) for hit in similar],
        "markdown": lesson_markdown(record),
    }}


def moved_lesson(site: Site, datasette: Datasette, path: str) -> str | None:
    """The page of the lesson an old, merged lesson id now leads to (data/redirects.yaml),
    for a request of that old id's page; None for any other path."""
    prefix = datasette.urls.table(DATABASE, "lessons") + "/"
    key = tilde_decode(path[len(prefix):]) if path.startswith(prefix) else ""
    if not key or "/" in key:
        return None
    new = site.catalog.redirect(key)
    return row_url(datasette, "lessons", new) if new else None


async def case(site: Site, datasette: Datasette, slug: str) -> dict:
    """A case: its summary, the contract in a few lines, its timeline as a picture with
    the dated facts listed under it, its key facts, its lessons by stage (what went wrong
    first) and its sources."""
    record = await asyncio.to_thread(site.catalog.case, slug)
    if record is None:
        return {"kb_case": None}
    sources = await asyncio.to_thread(_case_sources, site, slug)
    table = datasette.urls.table(DATABASE, "lessons")
    contract = [("Commissioner", record.commissioner), ("Partners", ", ".join(record.partners)),
                ("Care model", record.care_model), ("Contract form", record.contract_form),
                ("Population", record.population), ("Value", record.value),
                ("Term", record.term), ("Status", record.status), ("Outcome", record.outcome)]
    by_stage: dict[str, list] = {}
    for row in record.lessons:
        by_stage.setdefault(row.stage or "", []).append(row)
    order = {stage: n for n, stage in enumerate(STAGES)}
    stages = []
    for stage in sorted(by_stage, key=lambda s: order.get(s, len(order))):
        rows = sorted(by_stage[stage], key=lambda r: r.outcome != "went-wrong")
        stages.append({"stage": _term(table, "stage", stage, label(STAGES, stage)),
                       "lessons": [dict(id=r.id, title=r.title,
                                        url=row_url(datasette, "lessons", r.id),
                                        outcome=r.outcome, outcome_name=outcome_name(r.outcome))
                                   for r in rows]})
    timeline = marks(list(record.facts))
    return {"kb_case": {
        "name": record.name, "slug": record.slug, "summary": record.summary,
        "contract": [(name, value) for name, value in contract if value],
        "timeline_svg": timeline_svg(list(record.facts),
                                     label=f"Timeline of {record.name}: "
                                           f"{len(timeline)} dated facts"),
        "timeline": [dict(_fact(m.fact), number=m.number) for m in timeline],
        "key_facts": [_fact(f) for f in record.key_facts],
        "stages": stages,
        "lessons_url": f"{table}?case={quote(slug)}",
        "sources": [dict(title=title, url=row_url(datasette, "sources", source_id))
                    for source_id, title in sources],
    }}


def _case_sources(site: Site, slug: str) -> list[tuple[str, str]]:
    return site.catalog.conn.execute(
        "select sources.id, sources.title from case_sources join sources on "
        'sources.id = case_sources.source where case_sources."case" = ? '
        "order by case_sources.rowid", [slug]).fetchall()


def _term(table_url: str, column: str, key: str, name: str) -> dict:
    """A stage, outcome or theme: its key, the name shown, and its facet of the table."""
    return {"key": key, "name": name, "url": f"{table_url}?{column}={quote(key)}"}


def _fact(fact: FactView) -> dict:
    return {"id": fact.id, "label": fact.label, "value": fact.value, "date": fact.date,
            "note": fact.note, "source_title": fact.source_title, "locator": fact.locator}


def built(iso: str | None, now: datetime | None = None) -> str | None:
    """'2026-11-23 07:34 UTC (3 hours ago)' for the build's ISO timestamp, or None."""
    try:
        then = datetime.fromisoformat(iso or "")
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = max(0, int(((now or datetime.now(timezone.utc)) - then).total_seconds()))
    when = then.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{when} ({n} {unit}{'s' if n != 1 else ''} ago)"
    return f"{when} (just now)"
