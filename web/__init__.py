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
(errors.py) in place of Datasette's; the search page route; the home and lesson pages'
extra content; a link to search in the menu; a size limit on every value Datasette's
connections return (guard.py); and a check before each request that refuses writes,
queues SQL typed by the reader in one lane (guard.py) and follows a rebuild of the
database file. With no lessons database the plugin stays out of the way (the search page
says why it cannot search).
"""

from __future__ import annotations

from pluggy import HookimplMarker

hookimpl = HookimplMarker("datasette")  # datasette.hookimpl, without importing Datasette

SEARCH_PATH = "/-/search"
CHECK_PATH = "/-/check"
READ_METHODS = ("GET", "HEAD")


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
    from web.check_page import check_view
    from web.search_page import search_view

    return [(r"^/-/search(?P<format>\.json)?$", search_view),
            (r"^/-/check(?P<format>\.json)?$", check_view)]


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
    return {}


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path(SEARCH_PATH), "label": "Search lessons by meaning"},
            {"href": datasette.urls.path(CHECK_PATH), "label": "Check a plan against the lessons"}]


@hookimpl
def asgi_wrapper(datasette):
    """Before each request: follow a rebuild, refuse anything but reading (Datasette
    itself has no write endpoint, but answers a stray POST with a 500), and send SQL typed
    by the reader through its lane."""
    from datasette import Response

    from web import guard
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
                if guard.carries_sql(scope):
                    await lane.run(app, scope, receive, send)
                    return
            await app(scope, receive, send)
        return read_only
    return wrap
