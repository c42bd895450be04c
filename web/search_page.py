"""The semantic search page: /-/search?q=VAT+risk+of+LLP[&mode=…&case=…&theme=…&stage=…
&kind=…&outcome=…&limit=…], as HTML, or as JSON at /-/search.json or with ?_json=1.

It asks the same engine as `kb search`, with the same defaults (hybrid, 10 hits), so the
top results are the same. Anything wrong with the request (an empty query, an unknown
mode, filter or value, a bad limit) is answered with the form and one clear sentence,
status 400; a query longer than the engine reads is cut short, with a notice.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from datasette import Response
from datasette.utils.asgi import Request

from kb.errors import DatabaseError, KbError, QueryError
from kb.filters import NAMES as FILTERS, choices, resolve
from kb.relevance import NOT_ANSWERED
from kb.query import normalise
from kb.search import MAX_QUERY_CHARS, MODES, Filters, Results
from web.hits import case_names, hit_json, hit_view
from web.site import site_for

if TYPE_CHECKING:  # datasette.app imports this plugin: import it for types only
    from datasette.app import Datasette

DEFAULT_MODE = "hybrid"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
JSON_YES = ("1", "true", "on", "yes")  # ?_json=…; "0" or "false" means the page
PARAMETERS = frozenset({"q", "mode", "limit", "_json", *FILTERS})


@dataclass
class Form:
    query: str | None = None          # None until something is asked
    mode: str = DEFAULT_MODE
    limit: int = DEFAULT_LIMIT
    chosen: dict[str, list[str]] = field(default_factory=dict)  # filter → values

    @property
    def filters(self) -> Filters:
        return Filters.of(**self.chosen)


def read_form(args, cases: dict[str, str]) -> Form:
    """The request's parameters, checked; QueryError says what is wrong with them."""
    form = Form(query=args.get("q"), mode=args.get("mode") or DEFAULT_MODE)
    unknown = sorted(set(args.keys()) - PARAMETERS)
    if unknown:
        raise QueryError(f"Unknown filter {unknown[0]!r}: filter by {', '.join(FILTERS)}.")
    if form.mode not in MODES:
        raise QueryError(f"Unknown search mode {form.mode!r}: use one of {', '.join(MODES)}.")
    limit = args.get("limit") or str(DEFAULT_LIMIT)
    if not re.fullmatch(r"[0-9]{1,3}", limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise QueryError(f"The limit must be a whole number from 1 to {MAX_LIMIT}, "
                         f"not {limit[:20]!r}.")
    form.limit = int(limit)
    # "" is the form's "any"; names as well as keys are accepted (kb/filters.py).
    filters = resolve({name: [v for v in args.getlist(name) if v] for name in FILTERS}, cases)
    form.chosen = {name: sorted(getattr(filters, name)) for name in FILTERS
                   if getattr(filters, name)}
    return form


async def search_view(datasette: Datasette, request: Request) -> Response:
    started = time.perf_counter()
    as_json = (request.url_vars.get("format") == ".json"
               or request.args.get("_json", "").lower() in JSON_YES)
    form, results, error, cases = Form(), None, None, {}
    try:
        site = site_for(datasette)
        if isinstance(site, str):
            raise DatabaseError(site)
        cases = await case_names(site)
        form = read_form(request.args, cases)
        if form.query is not None:
            results = await asyncio.to_thread(site.search, form.query, mode=form.mode,
                                              limit=form.limit, filters=form.filters)
    except KbError as exc:
        error = str(exc)
    notices = _notices(form, results)
    status = 400 if error else 200
    if as_json:
        response = Response.json(_json(datasette, results, error, notices), status=status)
    else:
        response = Response.html(await datasette.render_template("lessons_search.html", {
            "form": form, "query_text": request.args.get("q") or "", "error": error,
            "notices": notices, "options": _options(cases), "results": results,
            "not_answered": NOT_ANSWERED,
            "hits": [hit_view(datasette, hit, cases) for hit in results.hits] if results else [],
        }, request=request), status=status)
    engine_ms = results.seconds * 1000 if results else 0.0
    response.headers["Server-Timing"] = (
        f"search;dur={engine_ms:.1f}, page;dur={(time.perf_counter() - started) * 1000:.1f}")
    return response


def _notices(form: Form, results: Results | None) -> list[str]:
    notices = []
    if form.query is not None and len(normalise(form.query)) > MAX_QUERY_CHARS:
        notices.append(f"Your query was long: only its first {MAX_QUERY_CHARS:,} characters "
                       "were searched.")
    if results and results.notice:
        notices.append(results.notice)
    if results and results.searched_for:
        notices.append(f"Searched for: {results.searched_for}")
    return notices


def _json(datasette: Datasette, results: Results | None, error: str | None,
          notices: list[str]) -> dict:
    if error:
        return {"ok": False, "error": error}
    if results is None:
        return {"ok": True, "query": None, "hits": []}
    out = {"ok": True, **results.to_json(), "seconds": round(results.seconds, 4),
           "hits": [hit_json(datasette, hit) for hit in results.hits]}
    if notices:
        out["notice"] = " ".join(notices)
    return out


def _options(cases: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The form's selects, in the order shown: each one's choices as (value, label)."""
    return {"mode": [(m, m) for m in MODES],
            **{name: list(values.items()) for name, values in choices(cases).items()}}
