"""Datasette on the lessons database as `kb serve` runs it: read-only, on the loopback.

The database is attached under the name "lessons" whatever its file is called, opened
read-only (`mode=ro`, not `immutable`: `kb ingest` commits to the live file and `kb build`
renames a new one into place; read kb/database.py), and no write is configured anywhere
(no writable canned query, Datasette 0.65 has no write API, and the plugin answers any
method but GET and HEAD with 405). The socket is bound before the URL is printed, so a
busy port is an error rather than a URL that does not answer.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import socket
from pathlib import Path

import uvicorn
from datasette.app import Datasette
from datasette.database import Database
from datasette.utils import parse_metadata

from kb.database import connect_readonly
from kb.errors import KbError
from web.site import DATABASE

HOST = "127.0.0.1"
METADATA = "metadata.yml"  # in this package (a link to the project root's)


def create(db_path: Path) -> Datasette:
    """A started Datasette serving `db_path` as "lessons", with the project's metadata."""
    connect_readonly(db_path).close()  # a clear error now, not a broken page later
    datasette = Datasette(metadata=metadata())
    datasette.remove_database("_memory")  # added when no file is given at construction
    datasette.add_database(Database(datasette, path=str(db_path), is_mutable=True),
                           name=DATABASE)
    asyncio.run(datasette.invoke_startup())  # the plugin starts loading the model now
    return datasette


def metadata() -> dict:
    """The project's metadata.yml, read as this package's data so that `kb serve` works
    from an installed package as well as from a checkout.

    The file stays at the project's root, where the layout puts it and where
    `datasette data/lessons.db -m metadata.yml` finds it; web/metadata.yml is a symbolic
    link to it, which setuptools follows, so the wheel carries the file itself and an
    editable install reads the root's (one file, never two copies to keep in step)."""
    resource = importlib.resources.files(__package__) / METADATA
    try:
        return parse_metadata(resource.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KbError(f"The Datasette metadata ({METADATA}) is missing from the installed "
                      "web package: reinstall lessons.") from None


def listen(port: int) -> socket.socket:
    """A listening socket on the loopback; port 0 picks a free one. Its protocol is named
    (TCP) so that asyncio sets TCP_NODELAY on each connection: without it, a kept-alive
    connection waits ~40 ms per response (Nagle against delayed ACKs)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise KbError(f"Cannot listen on {HOST}:{port} ({exc.strerror}): is another server "
                      "using it? Pick another with --port.") from None
    sock.listen(128)
    return sock


def url(sock: socket.socket) -> str:
    return f"http://{HOST}:{sock.getsockname()[1]}/"


def run(datasette: Datasette, sock: socket.socket) -> None:
    """Serve until interrupted (ctrl+c or SIGTERM)."""
    config = uvicorn.Config(datasette.app(), log_level="warning", access_log=False,
                            lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
