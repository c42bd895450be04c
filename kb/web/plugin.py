"""The Datasette plugin `lessons` (the `datasette` entry point in pyproject.toml).

Hooks: the templates in kb/web/templates; at startup, attach a Site (site.py) to a
Datasette serving a database named "lessons", start loading the model in the background
and put the plugin's error pages (errors.py) in place of Datasette's; the search page
route; the home and lesson pages' extra content; a link to search in the menu; a size
limit on every value Datasette's connections return (guard.py); and a check before each
request that refuses writes, queues SQL typed by the reader in one lane (guard.py),
sends the page of a lesson merged into another to that lesson's page, and follows a
rebuild of the database file. With no lessons database the plugin stays out of the way
(the search page says why it cannot search).
"""

from __future__ import annotations

from pathlib import Path

from datasette import Response, hookimpl
from datasette.utils import tilde_decode

from kb.web import DATABASE, errors, guard, pages
from kb.web.check_page import CHECK_PATH, check_view
from kb.web.search_page import search_view
from kb.web.site import Site, attach, site_for

SEARCH_PATH = "/-/search"
READ_METHODS = ("GET", "HEAD")
TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def prepare_jinja2_environment(env):
    """Add kb/web/templates where Datasette puts a plugin's templates: after any
    --template-dir, before its own. (Datasette finds templates/ by itself only beside a
    plugin that is a package, and on Python 3.11 not beside a module like this one.)"""
    searchpath = env.loader.loaders[0].searchpath
    if str(TEMPLATES) not in searchpath:
        searchpath.insert(len(searchpath) - 1, str(TEMPLATES))


@hookimpl
def startup(datasette):
    errors.replace_datasette_handler()
    site = attach(datasette)
    if site is not None:
        site.start_loading_model()


@hookimpl
def handle_exception(datasette, request, exception):
    async def respond():
        return await errors.error_response(datasette, request, exception)
    return respond


@hookimpl
def prepare_connection(conn):
    guard.limit_value_size(conn)


@hookimpl
def register_routes():
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
        return read_only
    return wrap
