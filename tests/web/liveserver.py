"""A real `kb serve` process for tests and benchmarks: started as a user starts it
(`kb serve --db … --port 0`: the command picks a free loopback port and prints its URL);
and the same site in-process, for tests that need no server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

KB = [sys.executable, "-m", "kb.cli"]
POLL_SECONDS = 0.01
URL = re.compile(r"http://127\.0\.0\.1:\d+/")


class ServerError(RuntimeError):
    pass


class Served:
    """What the tests ask of the site: a page, a post, a search's JSON."""

    def get(self, path: str, **kwargs) -> httpx.Response:
        raise NotImplementedError

    def search(self, **params) -> dict:
        response = self.get("/-/search.json", params=params)
        assert response.status_code == 200, response.text
        return response.json()


class InProcess(Served):
    """The site as `kb serve` builds it (`web.server.create`: the same Datasette, plugin,
    metadata and ASGI wrappers), asked through Datasette's in-process client: no process,
    port or second model load, for the tests that a real server shows nothing more in."""

    def __init__(self, datasette):
        self.datasette = datasette

    def get(self, path: str, **kwargs) -> httpx.Response:
        return asyncio.run(self.datasette.client.get(path, **kwargs))

    def post(self, path: str, **kwargs) -> httpx.Response:
        return asyncio.run(self.datasette.client.post(path, **kwargs))


@dataclass
class Server(Served):
    url: str
    process: subprocess.Popen
    log: Path

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url.rstrip("/") + path, timeout=30, **kwargs)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(db: Path, log: Path, *, env: dict | None = None, timeout: float = 120) -> Server:
    """Start `kb serve`, wait for its URL and its first page (building the db can take a
    while when it is missing)."""
    handle = log.open("w")
    process = subprocess.Popen([*KB, "serve", "--db", str(db), "--port", "0"], stdout=handle,
                               stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    handle.close()
    deadline = time.monotonic() + timeout
    url = None
    while url is None:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            raise ServerError(f"kb serve did not print its URL:\n{log.read_text()}")
        found = URL.search(log.read_text(errors="replace"))
        url = found.group(0) if found else None
        time.sleep(POLL_SECONDS)
    server = Server(url, process, log)
    while True:
        with contextlib.suppress(httpx.TransportError):
            if server.get("/").status_code == 200:
                return server
        if time.monotonic() > deadline:
            stop_server(process)
            raise ServerError(f"kb serve did not serve its home page:\n{server.output()}")
        time.sleep(POLL_SECONDS)


def wait_for_semantic(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while "notice" in server.search(q="ready", mode="semantic"):
        if time.monotonic() > deadline:
            raise ServerError(f"semantic search never became ready:\n{server.output()}")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_server(db: Path, log: Path, **kwargs):
    server = start_server(db, log, **kwargs)
    try:
        yield server
    finally:
        stop_server(server.process)
