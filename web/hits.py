"""Search hits as the pages and the JSON show them: with a link to the hit's row and the
name of its case."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from datasette.utils import tilde_encode

from kb.search import Hit
from web.site import DATABASE

if TYPE_CHECKING:  # datasette.app imports this plugin: import it for types only
    from datasette.app import Datasette

    from web.site import Site

# The table that holds each kind of item.
TABLES = {"lesson": "lessons", "fact": "facts", "case": "cases", "passage": "passages"}


def row_url(datasette: Datasette, table: str, key: str) -> str:
    """The page of one row of the lessons database."""
    return datasette.urls.row(DATABASE, table, tilde_encode(key))


async def case_names(site: Site) -> dict[str, str]:
    """Each case's name by its slug, from the search engine (which follows rebuilds and
    caches them per file version) rather than Datasette's SQL threads, which SQL typed by
    readers may be keeping busy (guard.py)."""
    def read() -> dict[str, str]:
        site.engine.refresh()
        return site.engine.case_names

    return await asyncio.to_thread(read)


def hit_view(datasette: Datasette, hit: Hit, cases: dict[str, str]) -> dict:
    """What a template shows of a hit: its fields, its link, its text without the title
    and the name of its case."""
    return {**vars(hit), "url": row_url(datasette, TABLES[hit.kind], hit.id), "body": hit.body,
            "case_name": cases.get(hit.case, hit.case), "why": hit.why, "band": hit.band}


def hit_json(datasette: Datasette, hit: Hit) -> dict:
    """`kb search --json`'s shape of a hit, plus the link to its row."""
    return {**hit.to_json(), "url": row_url(datasette, TABLES[hit.kind], hit.id)}
