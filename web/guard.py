"""What one client's SQL may cost everyone else.

Datasette lets a reader type any SELECT (`?sql=`, `_where=`), which an analyst on their own
machine wants, and which on a shared server let three clients looping a 0.5 s query stall
search for everyone (p50 23 ms → 4.5 s: they held all of Datasette's SQL threads) and one
`select hex(randomblob(100000000))` return 200 MB and add 1.1 GB to the server. The policy:

- **Who may type SQL**: `kb serve` binds the loopback, for the analyst at the machine, and
  allows it; a public deployment turns it off (`--setting default_allow_sql off`,
  docs/deploy.md). Canned queries and table pages stay available either way.
- **Time**: Datasette's `sql_time_limit_ms` (1 s) stops any one query.
- **Size**: no value may exceed `MAX_VALUE_BYTES` on Datasette's connections (SQLite's own
  length limit, set in `prepare_connection`): the largest value the knowledge base holds is
  a passage of a few KB, and a query building a bigger one fails at once with a 400
  (errors.py). With `max_returned_rows` (1,000) that bounds a response.
- **Concurrency**: typed SQL goes through one lane (`SqlLane`): one such query runs at a time
  and the rest queue for at most `QUEUE_SECONDS` before a 503 asks them to retry, so they
  can never occupy all of Datasette's SQL threads. The search page reads nothing through
  those threads at all (it asks the Site), so it answers while the lane is busy.
"""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import parse_qsl

from datasette import Response

MAX_VALUE_BYTES = 1_000_000
QUEUE_SECONDS = 5.0
# Parameters that carry SQL typed by the reader.
SQL_PARAMETERS = frozenset({"sql", "_where"})


def limit_value_size(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)


def carries_sql(scope: dict) -> bool:
    query = scope.get("query_string", b"").decode("latin-1")
    return any(name in SQL_PARAMETERS for name, _ in parse_qsl(query, keep_blank_values=True))


class SqlLane:
    """One request with typed SQL at a time; the others wait their turn, briefly."""

    def __init__(self, *, queue_seconds: float = QUEUE_SECONDS):
        self.queue_seconds = queue_seconds
        self._lock: asyncio.Lock | None = None  # made on the server's event loop

    async def run(self, app, scope, receive, send) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        try:
            await asyncio.wait_for(self._lock.acquire(), self.queue_seconds)
        except TimeoutError:
            response = Response.text(
                "The server is busy answering other SQL queries: try again in a few seconds.",
                status=503, headers={"Retry-After": str(int(self.queue_seconds))})
            await response.asgi_send(send)
            return
        try:
            await app(scope, receive, send)
        finally:
            self._lock.release()
