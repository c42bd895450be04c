"""Figures for ingesting a user's documents (issue 6).

    .venv/bin/python bench/ingest.py [--documents 200] [--runs 3] [--search-passages 100000]

Writes a corpus of mixed documents (PDF, Word, PowerPoint, HTML, Markdown, text; about ten
passages each) with the ingest tests' writers, builds a database from data/ once, then
ingests the whole corpus `runs` times, each into a fresh copy, as `kb ingest` does (from
creating the Ingester, model load included, to the last commit), and prints medians:
passages per second end to end, and the share of that time spent in the model (embedding
passages and tagging candidates; the target is ≥ 70%: the rest of the pipeline must not be
the bottleneck), with what the rest is made of. Then: a second, unchanged run over the same
corpus, and warm search over the lessons plus the ingested passages padded with synthetic
ones to --search-passages (the core's target: hybrid ≤ 60 ms per query at 100,000).
Works in a temporary directory; never touches data/.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import fresh_db, print_warm_search, questions  # noqa: E402
from bench.synthetic import pad_with_passages  # noqa: E402
from ingest.passages import split  # noqa: E402
from ingest.ingester import Ingester  # noqa: E402
from ingest.readers import format_of, read  # noqa: E402
from kb.embeddings import load_embedder  # noqa: E402
from tests.ingest.ingest_samples import WRITERS, generated_doc, write  # noqa: E402


def make_corpus(folder: Path, documents: int) -> list[Path]:
    """`documents` files, formats in turn; 5 sections of 3 paragraphs (~80 words each),
    which the splitter makes into about ten passages per document."""
    rng = random.Random(6)
    folder.mkdir(parents=True)
    formats = list(WRITERS)
    return [write(folder / f"doc-{n:03}.{formats[n % len(formats)]}",
                  generated_doc(rng, n, sections=5, paragraphs=3)) for n in range(documents)]


def read_and_split(files: list[Path]) -> dict[str, float]:
    """Seconds spent reading and splitting, by format: the pipeline's own work."""
    seconds: dict[str, float] = defaultdict(float)
    for path in files:
        started = time.perf_counter()
        fmt = format_of(path)
        split(read(fmt, path.read_bytes()))
        seconds[fmt] += time.perf_counter() - started
    return dict(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--search-passages", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lessons-ingest-bench-"))
    files = make_corpus(work / "corpus", args.documents)
    print(f"corpus: {len(files)} documents ({', '.join(WRITERS)} in turn), "
          f"{sum(f.stat().st_size for f in files) / 1e6:.1f} MB in {work / 'corpus'}")
    base = fresh_db(work)

    print(f"\n== ingest, {args.runs} runs into fresh copies, medians ==")
    rates, shares, walls, model_seconds = [], [], [], []
    for run in range(args.runs):
        db, data = work / f"run-{run}.db", work / f"data-{run}"
        shutil.copy(base, db)
        data.mkdir()
        started = time.perf_counter()
        ingester = Ingester(db, data)
        report = ingester.ingest([work / "corpus"], case="bench-case")
        ingester.close()
        wall = time.perf_counter() - started
        assert not report.failed, report.failed
        passages = sum(o.passages for o in report.outcomes)
        rates.append(passages / wall)
        shares.append(report.embed_seconds / wall)
        walls.append(wall)
        model_seconds.append(report.embed_seconds)
        print(f"run {run + 1}: {passages} passages, "
              f"{sum(o.candidates for o in report.outcomes)} candidates from "
              f"{len(report.outcomes)} files in {wall:.1f} s; model {report.embed_seconds:.1f} s")
    print(f"passages per second, end to end: {statistics.median(rates):6.1f}")
    print(f"share of time in the model:      {statistics.median(shares) * 100:5.1f} %  "
          "(target ≥ 70 %)")
    rest = statistics.median(w - m for w, m in zip(walls, model_seconds))
    by_format = read_and_split(files)
    print(f"the rest, {rest:.1f} s, of which reading and splitting "
          f"{sum(by_format.values()):.1f} s: "
          + ", ".join(f"{fmt} {s:.2f} s" for fmt, s in sorted(by_format.items(),
                                                               key=lambda kv: -kv[1])))

    print("\n== the same corpus again (nothing changed) ==")
    started = time.perf_counter()
    ingester = Ingester(work / "run-0.db", work / "data-0")
    again = ingester.ingest([work / "corpus"], case="bench-case")
    ingester.close()
    print(f"{len(again.of('unchanged'))} unchanged in {time.perf_counter() - started:.2f} s")

    queries = questions()[:40]
    with sqlite3.connect(work / "run-0.db") as conn:
        (ingested,) = conn.execute("select count(*) from passages").fetchone()
    padding = max(args.search_passages - ingested, 0)
    padded = pad_with_passages(work / "run-0.db", work / "padded.db", padding)
    print(f"\n== warm search, {len(queries)} queries, median per query: lessons + {ingested:,} "
          f"ingested + {padding:,} synthetic passages ==")
    print_warm_search(padded, load_embedder(), queries)
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
