"""Load on a real `kb serve` (127.0.0.1 only), with and without abusive clients.

    .venv/bin/python bench/load.py [--db data/lessons.db] [--clients 20] [--seconds 30]

Starts `kb serve` on a copy of the database, on a free loopback port, and runs three phases
of `--seconds` each, every request loop bounded by that time (it stops by itself):
1. unloaded: `--clients` well-behaved clients alternating the search page (HTML) and its
   JSON, over the retrieval test queries;
2. the same clients beside four abusive ones: one requesting error pages (unknown tables,
   unrouted paths, bad SQL, `_sort=nosuch`) and a 100 MB value, and three looping a typed
   SQL query of about 0.5 s (a recursive count: the review's three such clients took
   search from p50 23 ms to 4.5 s);
3. the well-behaved clients again, for a third as long (recovery).
For the well-behaved clients it prints throughput, p50/p95 and errors per phase, the p95
ratio loaded/unloaded (the goal: within 2×), what the abusive clients got, and the
server's memory (RSS) before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import memory_mb, percentile, questions  # noqa: E402
from kb import config  # noqa: E402
from tests.web.liveserver import running_server, wait_for_semantic  # noqa: E402

# About 0.5 s of SQLite work here, under the 1 s time limit: the query that stalled search.
HEAVY_SQL = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1500000) "
             "select count(*) from n")
ERROR_PATHS = ["/lessons/nosuch", "/-/search.json.json?q=VAT", "/a/b/c/d/e",
               "/lessons/lessons.json?_sort=nosuch", "/lessons.json?sql=selec+nothing",
               "/lessons.json?sql=select+hex(randomblob(100000000))+as+h"]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0  # transport errors and timeouts

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def errors(self) -> int:
        return self.failures + sum(n for s, n in self.statuses.items() if s >= 500)


async def loop(client: httpx.AsyncClient, paths, tally: Tally, until: float) -> None:
    while time.monotonic() < until:
        path = next(paths)
        started = time.perf_counter()
        try:
            response = await client.get(path)
            await response.aread()
            tally.add(response.status_code, time.perf_counter() - started)
        except httpx.HTTPError:
            tally.failures += 1


def search_paths(queries: list[str]):
    rng = random.Random(7)
    while True:
        q = rng.choice(queries)
        yield from (f"/-/search?q={quote_plus(q)}", f"/-/search.json?q={quote_plus(q)}")


def cycle(paths):
    while True:
        yield from paths


async def phase(url: str, queries: list[str], *, clients: int, seconds: float,
                abusive: bool) -> tuple[Tally, dict[str, Tally]]:
    until = time.monotonic() + seconds
    good = Tally()
    bad = {"error pages and a 100 MB value": Tally(), "0.5 s SQL (three clients)": Tally()}
    limits = httpx.Limits(max_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        tasks = [loop(client, search_paths(queries), good, until) for _ in range(clients)]
        if abusive:
            tasks += [
                loop(client, cycle(ERROR_PATHS), bad["error pages and a 100 MB value"], until),
                *(loop(client, cycle([f"/lessons.json?sql={quote_plus(HEAVY_SQL)}"]),
                       bad["0.5 s SQL (three clients)"], until) for _ in range(3)),
            ]
        await asyncio.gather(*tasks)
    return good, bad


def report(name: str, tally: Tally, seconds: float) -> None:
    ms = sorted(x * 1000 for x in tally.latencies)
    if not ms:
        print(f"  {name:<34} no answers, {tally.failures} failures")
        return
    print(f"  {name:<34} {len(ms) / seconds:6.1f} req/s  p50 {percentile(ms, 0.5):7.1f} ms  "
          f"p95 {percentile(ms, 0.95):7.1f} ms  errors {tally.errors}  statuses {tally.statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=config.default_db())
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    queries = questions()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lessons.db"
        shutil.copy(args.db, db)
        with running_server(db, Path(tmp) / "serve.log") as server:
            wait_for_semantic(server)
            pid = server.process.pid
            rss_before = memory_mb(pid, "VmRSS")
            print(f"kb serve at {server.url}: {args.clients} clients, {args.seconds:.0f} s a phase; "
                  f"server RSS {rss_before:.0f} MB")
            unloaded, _ = asyncio.run(phase(server.url, queries, clients=args.clients,
                                            seconds=args.seconds, abusive=False))
            loaded, bad = asyncio.run(phase(server.url, queries, clients=args.clients,
                                            seconds=args.seconds, abusive=True))
            after, _ = asyncio.run(phase(server.url, queries, clients=args.clients,
                                         seconds=args.seconds / 3, abusive=False))
            rss_after = memory_mb(pid, "VmRSS")
            peak = memory_mb(pid, "VmHWM")
    print("well-behaved clients (search page and JSON):")
    report("alone", unloaded, args.seconds)
    report("beside 4 abusive clients", loaded, args.seconds)
    report("afterwards", after, args.seconds / 3)
    print("abusive clients:")
    for name, tally in bad.items():
        report(name, tally, args.seconds)
    p95 = [percentile(sorted(t.latencies), 0.95) for t in (unloaded, loaded) if t.latencies]
    if len(p95) == 2:
        print(f"p95 loaded / unloaded: {p95[1] / p95[0]:.2f}× (goal ≤ 2×)")
    print(f"server RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
