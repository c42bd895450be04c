"""How fast `kb check` reviews a plan, and where the time goes.

    .venv/bin/python bench/check_speed.py [--db data/lessons.db] [--runs 3]

Prints medians of:
- a 30-page PDF plan (the labelled plans' text laid out 30 pages long, ~500 words a page;
  there is only ~7,400 words of it, so paragraphs repeat and the distinct sentences,
  which are all that is embedded, are printed too) reviewed by a fresh `kb check` process: wall seconds and peak memory (targets ≤ 10 s,
  ≤ 400 MB);
- a two-page plan (tests/plans/riverside-obc.md, ~1,000 words) the same way (≤ 2 s);
- where the time goes, in one process: start-up imports, model load, reading the file,
  embedding the sentences, scoring and deciding;
- the browser page /-/check.json answering the pasted two-page plan, warm (≤ 1.5 s):
  client wall and the server's own time (Server-Timing).
The machine is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import KB, run_kb  # noqa: E402
from kb import config  # noqa: E402
from bench.plan_evaluate import PLANS_DIR  # noqa: E402
from tests.ingest.ingest_samples import Doc, DocSection, write_pdf  # noqa: E402
from tests.web.liveserver import running_server, wait_for_semantic  # noqa: E402

TWO_PAGES = PLANS_DIR / "riverside-obc.md"
PAGES = 30
WORDS_PER_PAGE = 500
TIMING = re.compile(r"(\w+);dur=([\d.]+)")


def thirty_page_pdf(path: Path) -> Path:
    """The plans' paragraphs, in order and repeated, laid out PAGES pages long."""
    sys.path.insert(0, str(PLANS_DIR.parent / "check"))
    from plan_files import plan_doc

    paragraphs = [p for plan in sorted(PLANS_DIR.glob("*.md"))
                  for s in plan_doc(plan.stem, latin1=True).sections
                  for p in s.paragraphs + s.bullets]
    sections, source = [], iter(paragraphs * 4)
    for page in range(1, PAGES + 1):
        words, chosen = 0, []
        while words < WORDS_PER_PAGE:
            chosen.append(next(source))
            words += len(chosen[-1].split())
        sections.append(DocSection(f"Part {page}", chosen))
    return write_pdf(path, Doc("A thirty-page integrated care business case", sections))


def cold(plan: Path, db: Path, runs: int) -> tuple[float, float]:
    results = [run_kb(["check", str(plan), "--json", "--db", str(db)]) for _ in range(runs)]
    return median(r[0] for r in results), median(r[1] for r in results)


_PHASES = """
import time, json, sys
t0 = time.perf_counter()
from ingest.plans import read_plan
from kb.check import PlanChecker
from kb.search import open_engine
t1 = time.perf_counter()
checker = PlanChecker(open_engine(sys.argv[2]))
checker.engine.load_embedder()
t2 = time.perf_counter()
plan = read_plan(sys.argv[1], max_bytes=10**8)
t3 = time.perf_counter()
review = checker.check(plan)
print(json.dumps({"imports": t1 - t0, "model": t2 - t1, "read": t3 - t2,
                  "signs and lessons": review.timings["load"], "embed": review.timings["embed"],
                  "decide": review.timings["decide"],
                  "sentences": sum(len(p.sentences) for p in plan.passages),
                  "distinct": len({s for p in plan.passages for s in p.sentences})}))
"""


def phases(plan: Path, db: Path, runs: int) -> dict[str, float]:
    import json

    found = [json.loads(subprocess.run([sys.executable, "-c", _PHASES, str(plan), str(db)],
                                       capture_output=True, text=True, check=True).stdout)
             for _ in range(runs)]
    return {k: median(f[k] for f in found) for k in found[0]}


def browser(db: Path, work: Path, runs: int) -> tuple[float, float]:
    text = TWO_PAGES.read_text()
    with running_server(db, work / "serve.log") as server:
        wait_for_semantic(server)
        url = server.url.rstrip("/") + "/-/check.json"
        httpx.post(url, data={"text": text}, timeout=120)  # warm: signs loaded, model run
        walls, servers = [], []
        for _ in range(runs):
            started = time.perf_counter()
            response = httpx.post(url, data={"text": text}, timeout=120)
            walls.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            servers.append(float(dict(TIMING.findall(response.headers["server-timing"]))["page"])
                           / 1000)
    return median(walls), median(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=config.default_db())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"kb: {KB}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf = thirty_page_pdf(work / "thirty-pages.pdf")
        for name, plan in (("30-page PDF", pdf), ("two-page plan", TWO_PAGES)):
            wall, peak = cold(plan, args.db, args.runs)
            print(f"{name:14} cold `kb check`: {wall:5.2f} s, peak {peak:4.0f} MB")
            split = phases(plan, args.db, args.runs)
            sentences, distinct = int(split.pop("sentences")), int(split.pop("distinct"))
            print(f"{'':14} where the time goes ({sentences} sentences, {distinct} distinct): "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in split.items()))
        wall, server = browser(args.db, work, max(args.runs, 5))
        print(f"browser /-/check.json, pasted two-page plan, warm: {wall:.2f} s "
              f"(server {server:.2f} s)")
        print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
