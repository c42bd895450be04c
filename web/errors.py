"""Error pages that cost milliseconds, at the status the request deserves.

Datasette 0.65.5's own handler (datasette/handle_exception.py) prints every exception, 404s
included, as a rich traceback with its locals, synchronously on the event loop: 0.25–1.2 s
and about 25 KB of log per error page, during which no other request is served (six bad
requests took everyone's search from p50 4 ms to 3 s). For a path that matches no route it
answers 500, because rich itself raises outside an `except` block. So the plugin replaces
that handler (`replace_datasette_handler`, at startup) with this one: the same page and
JSON as Datasette's, but
- a client's mistake is answered at its 4xx status with no traceback (1–20 ms);
- Datasette 0.65 raises a bare `DatasetteError`, meaning 500, for bad table parameters
  (`_sort=nosuch`, `_col=nosuch`, `_sort` with `_sort_desc`, a bad `_through`): every
  such error in it is about the request, so it becomes 400; so do SQLite's refusals of the
  SQL a user typed that Datasette does not catch (a second statement after `;` in `_where`,
  a value over the size limit of `guard.py`);
- only a real server error is logged, as one plain traceback.
"""

from __future__ import annotations

import logging
import sqlite3

from datasette import Response
from datasette.plugins import pm
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

log = logging.getLogger("lessons.web")

DATASETTE_HANDLER = "datasette.handle_exception"

# SQLite's answers to SQL a user typed that Datasette lets through as 500s.
USER_SQL_ERRORS = (sqlite3.ProgrammingError, sqlite3.Warning, sqlite3.DataError)


def replace_datasette_handler() -> None:
    """Unregister Datasette's default exception handler, which this module replaces
    (idempotent). Every hook implementation is called for an exception, so adding ours
    beside it would not stop its traceback printing."""
    if pm.get_plugin(DATASETTE_HANDLER) is not None:
        pm.unregister(name=DATASETTE_HANDLER)


def status_and_message(exception: BaseException) -> tuple[int, str, str | None, dict]:
    """(status, message, title, extra JSON fields) for an exception raised by a view."""
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0]) if exception.args else "", None, {}
    if isinstance(exception, DatasetteError):
        status = 400 if exception.status == 500 else exception.status
        message = Markup(exception.message) if exception.message_is_html else exception.message
        return status, message, exception.title, dict(exception.error_dict or {})
    if isinstance(exception, USER_SQL_ERRORS):
        return 400, str(exception), "Invalid SQL", {}
    return 500, "The server could not answer this request; the error is in its log.", None, {}


async def error_response(datasette, request, exception: BaseException) -> Response:
    status, message, title, info = status_and_message(exception)
    if status >= 500:
        log.error("%s %s failed", request.method, request.path, exc_info=exception)
    info.update({"ok": False, "error": message, "status": status, "title": title})
    headers = {}
    if datasette.cors:
        add_cors_headers(headers)
    if request.path.endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    return Response.html(await template.render_async(dict(
        info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
        menu_links=lambda: [])), status=status, headers=headers)
