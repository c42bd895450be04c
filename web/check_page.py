"""The plan check page: /-/check. Paste a plan's text (or upload its file) and get the same
review as `kb check`, from the same engine (kb/check.py); /-/check.json answers with the
same JSON as `kb check --json`.

Nothing is stored: the body is read into memory (refused past MAX_BYTES, before reading
when the request says its length), read by the ingest readers, reviewed and discarded; the
database stays read-only. Anything wrong with the input (too large, empty, binary, an
unreadable file) is one sentence with status 400 or 413, never a 500; text shown back is
escaped by the template.
"""

from __future__ import annotations

import asyncio
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING

from datasette import Response
from datasette.utils.asgi import Request

from kb.check import Review
from kb.check_report import EXPLAINED, HEADINGS
from kb.errors import DatabaseError, KbError, QueryError
from kb.search import Filters
from kb.vocabulary import STAGES, THEMES, label
from web import CHECK_PATH
from web.site import site_for

if TYPE_CHECKING:  # datasette.app imports this plugin: import it for types only
    from datasette.app import Datasette

MAX_BYTES = 2_000_000  # 2 MB: a long plan's text is far less; a PDF of 60-odd pages fits
PASTED_NAME = "pasted text"


class TooLarge(QueryError):
    pass


async def check_view(datasette: Datasette, request: Request) -> Response:
    started = time.perf_counter()
    as_json = request.url_vars.get("format") == ".json" or bool(request.args.get("_json"))
    review, error, status, text = None, None, 200, ""
    try:
        site = site_for(datasette)
        if isinstance(site, str):
            raise DatabaseError(site)
        if request.method == "POST":
            name, data, fmt, text, fields = await _read_plan(request)
            filters = _filters(request.args, fields)
            review = await asyncio.to_thread(_review, site, name, data, fmt, filters)
    except TooLarge as exc:
        error, status = str(exc), 413
    except KbError as exc:
        error, status = str(exc), 400
    if as_json:
        response = Response.json(review.to_json() if review else {"error": error or
                                 "POST a plan's text (field `text`) or file (field `file`)."},
                                 status=status if review or error else 400)
    else:
        response = Response.html(await datasette.render_template("lessons_check.html", {
            "error": error, "text": text[:MAX_BYTES], "review": review,
            "sections": _sections(review) if review else [], "limit_mb": MAX_BYTES / 1e6,
            "stages": [(k, label(STAGES, k)) for k in STAGES],
            "themes": [(k, label(THEMES, k)) for k in THEMES],
        }, request=request), status=status)
    engine_ms = review.seconds * 1000 if review else 0.0
    response.headers["Server-Timing"] = (
        f"check;dur={engine_ms:.1f}, page;dur={(time.perf_counter() - started) * 1000:.1f}")
    return response


def _review(site, name: str, data: bytes, fmt: str, filters: Filters) -> Review:
    from ingest.plans import plan_from_bytes  # the readers: only when a plan arrives

    plan = plan_from_bytes(data, name, fmt, max_bytes=MAX_BYTES)
    return site.checker.check(plan, filters=filters)


async def _read_plan(request: Request) -> tuple[str, bytes, str, str, dict]:
    """(name, bytes, format, pasted text, fields) from a post: a file if one was uploaded,
    else the pasted text (a form's field `text`, or the whole body)."""
    body = await _body(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        fields = _multipart(content_type, body)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qsl

        fields = {k: (None, v.encode("utf-8")) for k, v in
                  parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)}
    else:  # a raw body: the plan's text
        fields = {"text": (None, body)}
    upload = fields.get("file")
    if upload and upload[0] and upload[1]:
        from ingest.plans import format_for

        return upload[0], upload[1], format_for(upload[0]), "", fields
    text = (fields.get("text") or (None, b""))[1]
    if not text.strip():
        raise QueryError("Paste the text of a plan, or choose its file, to check it.")
    return PASTED_NAME, text, "markdown", text.decode("utf-8", "replace"), fields


async def _body(request: Request) -> bytes:
    """The request body, refused past MAX_BYTES (before reading, when its length is given)."""
    limit = MAX_BYTES + 64_000  # room for the form's own fields
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(_too_large(int(declared)))
    body = bytearray()
    more = True
    while more:
        message = await request.receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if len(body) > limit:
            raise TooLarge(_too_large(len(body)))
        more = message.get("more_body", False)
    return bytes(body)


def _too_large(size: int) -> str:
    return (f"The plan is too large to check here ({size / 1e6:.1f} MB; the limit is "
            f"{MAX_BYTES / 1e6:g} MB): use `kb check FILE` on your own machine.")


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    fields = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def _filters(args, fields: dict) -> Filters:
    """Stage and theme, from the query string or the form."""
    chosen = {}
    for name, allowed in (("stage", STAGES), ("theme", THEMES)):
        field = fields.get(name)
        values = [v for v in [*args.getlist(name),
                              field[1].decode("utf-8", "replace") if field else ""] if v]
        for value in values:
            if value not in allowed:
                raise QueryError(f"Unknown {name} {value[:80]!r}: use one of "
                                 f"{', '.join(allowed)}.")
        chosen[name] = values
    return Filters.of(**chosen)


def _sections(review: Review):
    """(status, heading, explanation, items) for the template, in the review's order."""
    return [(status, HEADINGS[status], EXPLAINED[status], review.of(status))
            for status in HEADINGS if review.of(status)]
