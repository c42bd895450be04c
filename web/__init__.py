"""The browser front-end: Datasette with the project's metadata.yml and this plugin.

`kb serve` (commands.py, a `kb.commands` entry point, as the TUI is plugged in) starts
Datasette on the database, read-only (server.py). This package is the Datasette plugin
`lessons` (the `datasette` entry point in pyproject.toml names the package, as
datasette-search-all does), so Datasette finds templates/ and static/ beside it by itself.
The package imports nothing at load but pluggy, and each hook imports what it uses:
`kb serve` imports web.commands, so this file runs before Datasette is imported, and
Datasette, loading its entry points while it is imported, would otherwise register a
half-imported package with no hooks. Everything searches through kb.search, so a query
ranks the same here as in `kb search` and the TUI.

Hooks: at startup, attach a Site (site.py) to a Datasette serving a database named
"lessons", start loading the model in the background and put the plugin's error pages
(errors.py) in place of Datasette's; the routes of the search, compare, checklist,
briefing and plan check pages; the home, lesson and case pages' content (pages.py, and
the row templates); list columns as chips (render_cell, cells.py); the plugin's CSS and
JavaScript (static/); links in the menu; a size limit on every value Datasette's
connections return (guard.py); and a check before each request that refuses writes,
queues SQL typed by the reader in one lane (guard.py), follows a rebuild of the database
file and times the response. With no lessons database the plugin stays out of the way
(the search page says why it cannot search).
"""

from __future__ import annotations

import functools
import time

from pluggy import HookimplMarker

hookimpl = HookimplMarker("datasette")  # datasette.hookimpl, without importing Datasette

SEARCH_PATH = "/-/search"
CHECK_PATH = "/-/check"
READ_METHODS = ("GET", "HEAD")


@hookimpl
def prepare_jinja2_environment(env):
    """`outcome|kb_outcome`: an outcome in words, with its mark and colour; and
    `display_rows|kb_by_column`: each row's cells by column name, so the lessons table's
    template picks its five columns in one pass (looping in Jinja took 150 ms a page).
    Both in cells.py."""
    from web.cells import by_column, outcome

    env.filters["kb_outcome"] = outcome
    env.filters["kb_by_column"] = by_column


@hookimpl
def startup(datasette):
    from web import errors
    from web.site import attach

    errors.replace_datasette_handler()
    site = attach(datasette)
    if site is not None:
        site.start_loading_model()


@hookimpl
def handle_exception(datasette, request, exception):
    from web import errors

    async def respond():
        return await errors.error_response(datasette, request, exception)
    return respond


@hookimpl
def prepare_connection(conn):
    from web import guard

    guard.limit_value_size(conn)


@hookimpl
def register_routes():
    from web.browse import briefing_markdown_view, briefing_view, checklist_view, compare_view
    from web.check_page import check_view
    from web.search_page import search_view

    return [(r"^/-/search(?P<format>\.json)?$", search_view),
            (r"^/-/check(?P<format>\.json)?$", check_view),
            (r"^/-/compare(?P<format>\.json)?$", compare_view),
            (r"^/-/checklist(?P<format>\.json)?$", checklist_view),
            (r"^/-/briefing$", briefing_view),
            (r"^/-/briefing\.md$", briefing_markdown_view)]


def _posts_a_plan(scope) -> bool:
    """The plan check page takes a POST (a pasted or uploaded plan); it stores nothing."""
    return scope["method"] == "POST" and scope["path"] in (CHECK_PATH, CHECK_PATH + ".json")


@hookimpl
def skip_csrf(scope):
    # No state changes and nothing stored, so there is nothing for a forged request to do.
    return _posts_a_plan(scope)


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    from datasette.utils import tilde_decode

    from web import pages
    from web.site import DATABASE, Site, site_for

    site = site_for(datasette)
    if not isinstance(site, Site):
        return {}
    if view_name == "index":
        return pages.home(site, datasette)
    if view_name == "row" and database == DATABASE and table == "lessons":
        return pages.lesson(site, datasette, tilde_decode(request.url_vars["pks"]))
    if view_name == "row" and database == DATABASE and table == "cases":
        return pages.case(site, datasette, tilde_decode(request.url_vars["pks"]))
    return {}


@hookimpl
def render_cell(value, column, table, database, datasette):
    """No raw JSON where a person reads: a list column is shown as chips (themes link to
    their facet of the lessons table)."""
    from web import cells
    from web.site import DATABASE

    if database == DATABASE:
        return cells.render(datasette, table, column, value)
    return None


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins(plugin_name(), "lessons.css")]


@hookimpl
def extra_js_urls(datasette):
    return [{"url": datasette.urls.static_plugins(plugin_name(), "lessons.js"), "module": False}]


@functools.cache
@functools.cache
def plugin_name() -> str:
    """The name Datasette knows this plugin by, and serves its static/ under: its
    distribution's name (pyproject.toml's, nhs-mcp-lessons), not the package's."""
    from datasette.plugins import pm

    import web

    return next((dist.project_name for plugin, dist in pm.list_plugin_distinfo()
                 if plugin is web), "lessons")


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path(SEARCH_PATH), "label": "Search lessons by meaning"},
            {"href": datasette.urls.path("/-/compare"), "label": "Compare the cases"},
            {"href": datasette.urls.path("/-/checklist"), "label": "A stage's checklist"},
            {"href": datasette.urls.path("/-/briefing"), "label": "Your briefing"},
            {"href": datasette.urls.path(CHECK_PATH), "label": "Check a plan against the lessons"}]


@hookimpl
def asgi_wrapper(datasette):
    """Before each request: follow a rebuild, refuse anything but reading (Datasette
    itself has no write endpoint, but answers a stray POST with a 500), and send SQL typed
    by the reader through its lane. Every response says its server time (Server-Timing
    `total`, to its headers: bench/web.py reads it for every page)."""
    from datasette import Response

    from web import guard, pages
    from web.site import Site, site_for

    def wrap(app):
        lane = guard.SqlLane()

        async def read_only(scope, receive, send):
            site = site_for(datasette)
            if scope["type"] == "http" and isinstance(site, Site):
                if scope["method"] not in READ_METHODS and not _posts_a_plan(scope):
                    response = Response.text("This knowledge base is read-only.", status=405,
                                             headers={"Allow": ", ".join(READ_METHODS)})
                    await response.asgi_send(send)
                    return
                site.follow_rebuild(datasette)
                moved = pages.moved_lesson(site, datasette, scope["path"])
                if moved is not None:  # a published id merged into another lesson
                    await Response.redirect(moved, status=301).asgi_send(send)
                    return
                if guard.carries_sql(scope):
                    await lane.run(app, scope, receive, send)
                    return
            await app(scope, receive, send)

        async def timed(scope, receive, send):
            if scope["type"] != "http":
                return await read_only(scope, receive, send)
            started = time.perf_counter()

            async def send_timed(message):
                if message["type"] == "http.response.start":
                    total = f"total;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                    headers = [(k, v) for k, v in message.get("headers", [])
                               if k.lower() != b"server-timing"]
                    timing = [v for k, v in message.get("headers", [])
                              if k.lower() == b"server-timing"]
                    headers.append((b"server-timing", b", ".join([*timing, total])))
                    message = {**message, "headers": headers}
                await send(message)
            await read_only(scope, receive, send_timed)
        return timed
    return wrap
