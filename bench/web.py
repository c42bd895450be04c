"""Figures for the browser front-end (issue: Datasette with semantic search).

    .venv/bin/python bench/web.py [--db data/lessons.db] [--passages 100000] [--runs 5]

Starts real `kb serve` processes (as tests/web does) and prints medians of:
- Datasette start: from launching `kb serve` to its first page served (target ≤ 3 s), and
  on to semantic search being ready (the model loads in the background meanwhile);
- the semantic search page, warm: server time (its Server-Timing header: the engine's
  search, and the whole page) and the wall time seen by a client on the same machine,
  over the retrieval test queries (target ≤ 50 ms);
- every page a reader opens (home, search, a lesson, a case, compare and its JSON, a
  stage's checklist, the lessons table, the briefing), warm: server time (the plugin's
  Server-Timing `total`, from request to response headers) against issue #13's targets of
  100 ms each and 200 ms for the compare page with 100,000 passages, and client wall;
- the same with the database padded with synthetic passages (bench/synthetic.py), plus
  the server's memory, for docs/deploy.md's extrapolation.
Works on temporary copies; never touches the database it is given."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import memory_mb, percentile, questions  # noqa: E402
from bench.synthetic import pad_with_passages  # noqa: E402
from kb import config  # noqa: E402
from tests.web.liveserver import running_server, wait_for_semantic  # noqa: E402

TIMING = re.compile(r"(\w+);dur=([\d.]+)")
# Every page a reader opens (issue #13), and the two table pages measured before.
PAGES = ("/", "/-/search?q=VAT+risk+of+LLP", "/lessons/lessons/uc-vat-llp-unfunded",
         "/lessons/cases/dudley", "/-/compare", "/-/compare.json",
         "/-/checklist?stage=procurement", "/-/briefing", "/lessons/lessons",
         "/lessons/passages")


def start_times(db: Path, work: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from launch to first page, and to semantic search ready, per run."""
    first_page, semantic = [], []
    for n in range(runs):
        started = time.perf_counter()
        with running_server(db, work / f"start-{n}.log") as server:
            first_page.append(time.perf_counter() - started)
            wait_for_semantic(server)
            semantic.append(time.perf_counter() - started)
    return first_page, semantic


def page_times(client: httpx.Client, queries: list[str], mode: str) -> dict[str, list[float]]:
    """Milliseconds per search page: engine and page (server side), and client wall (one
    kept-alive connection, as a browser has)."""
    out: dict[str, list[float]] = {"search": [], "page": [], "wall": []}
    for query in queries:
        started = time.perf_counter()
        response = client.get("/-/search", params={"q": query, "mode": mode})
        out["wall"].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        for name, ms in TIMING.findall(response.headers["server-timing"]):
            if name not in out:  # "total": the plugin's, measured for every page
                continue
            out[name].append(float(ms))
    return out


def measure(label: str, db: Path, work: Path, queries: list[str], runs: int, *,
            padded: bool = False) -> None:
    size = db.stat().st_size / 1e6
    print(f"\n== {label} ({size:.0f} MB) ==")
    first_page, semantic = start_times(db, work, runs)
    print(f"start → first page served   median {median(first_page):5.2f} s  "
          f"(max {max(first_page):.2f} s, {runs} runs)")
    print(f"start → semantic ready      median {median(semantic):5.2f} s")
    with running_server(db, work / "warm.log") as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        wait_for_semantic(server)
        page_times(client, queries[:5], "semantic")  # warm up
        for mode in ("semantic", "hybrid", "keyword"):
            times = page_times(client, queries, mode)
            print(f"{mode:8} page, {len(queries)} queries: server median "
                  f"{median(times['page']):5.1f} ms (p95 {percentile(times['page'], 0.95):5.1f}; "
                  f"engine {median(times['search']):5.1f}) · client wall median "
                  f"{median(times['wall']):5.1f} ms")
        for path in PAGES:
            server_ms, walls = [], []
            for _ in range(10):
                started = time.perf_counter()
                response = client.get(path)
                walls.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                server_ms.append(float(dict(TIMING.findall(
                    response.headers["server-timing"]))["total"]))
            target = 200 if padded and path.startswith("/-/compare") else 100
            print(f"page {path:38} server median {median(server_ms):6.1f} ms "
                  f"(p95 {percentile(server_ms, 0.95):6.1f}; target ≤ {target}) · "
                  f"client wall median {median(walls):6.1f} ms")
        rss = memory_mb(server.process.pid, "VmRSS")
        print(f"server memory (RSS) after searching: {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=config.default_db())
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"No database at {args.db}: build it first (`make db` or `kb build`).")
    queries = questions()
    with tempfile.TemporaryDirectory(prefix="lessons-bench-web-") as tmp:
        work = Path(tmp)
        db = work / "lessons.db"
        shutil.copy(args.db, db)
        measure("real data", db, work, queries, args.runs)
        if args.passages:
            started = time.perf_counter()
            padded = pad_with_passages(db, work / "padded.db", args.passages)
            print(f"\n(padded with {args.passages:,} synthetic passages in "
                  f"{time.perf_counter() - started:.0f} s)")
            measure(f"+{args.passages:,} synthetic passages", padded, work, queries, args.runs,
                    padded=True)


if __name__ == "__main__":
    main()
