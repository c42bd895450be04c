"""What the home page and a lesson's page show beyond Datasette's own content (given to
their templates through the plugin's extra_template_vars)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from datasette.utils import tilde_decode

from kb.catalog import STANDING_NAMES
from kb.stats import collect
from kb.web import DATABASE
from kb.web.hits import case_names, hit_view, row_url
from kb.web.site import Site

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
    """A lesson's case, its evidence with links to the sources, and the most similar
    lessons from other cases."""
    record = await asyncio.to_thread(site.catalog.lesson, lesson_id)
    if record is None:
        return {"kb_lesson": None}
    similar = await asyncio.to_thread(site.engine.similar, "lesson", lesson_id, other_cases=True)
    cases = await case_names(site)
    source = record.evidence[0] if record.evidence else None
    return {"kb_lesson": {
        "title": record.title,
        "strength": record.strength, "basis": record.basis,
        "case": dict(name=record.case_name, url=row_url(datasette, "cases", record.case)),
        "source": source and dict(title=source.source_title, locator=source.locator,
                                  url=row_url(datasette, "sources", source.source)),
        "evidence": [dict(source_title=e.source_title, locator=e.locator, paraphrase=e.paraphrase,
                          source_url=row_url(datasette, "sources", e.source), kind=e.kind,
                          standing=STANDING_NAMES.get(e.standing, e.standing))
                     for e in record.evidence],
        "similar": [hit_view(datasette, hit, cases) for hit in similar],
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
