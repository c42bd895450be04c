"""Search at scale, side by side with txtai (issue 17).

    .venv/bin/python bench/scale.py [--passages 100000] [--queries 40] [--no-txtai]
                                    [--work DIR] [--ingest-documents 20]

Pads the records' database with `--passages` synthetic passages (bench/synthetic.py: text
from the records' words, vectors mixed from the real ones, written as `kb ingest` writes
them; generated here and never committed), then prints, medians over the public questions:

- kb warm search per mode, and where a hybrid query's time goes (query vector, keyword
  side, vector side; the query vector is computed while the keyword side runs);
- txtai 9 (the `bench` extra) on the same texts, the same vectors and the same queries:
  content + hybrid, its own BM25 and its faiss index (IVF past a few thousand rows), given
  kb's vectors through its `external` vector method, so neither side's model differs; a
  query is embedded by the same kb model on both sides, so its cost is counted alike (and
  shown: txtai's query vector is the time spent in that model during its searches);
- the ratio of the two warm hybrid medians, measured in the same run;
- recall at 10 of kb's vector side against the exhaustive cosine ranking (1.0 while the
  scan is exhaustive);
- a cold `kb search` (a new process: start to first answer) and its peak memory;
- the real ingest path into the padded database: `--ingest-documents` generated documents
  through kb.ingest's Ingester, its cost per passage (embedding included).

`--work DIR` keeps the generated databases there and reuses them on the next run (1M
passages take a while to write). The machine is shared: compare the ratios, not the
absolute figures of runs on different days.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import fresh_db, questions, run_kb, warm_search_ms  # noqa: E402
from bench.synthetic import pad_with_passages  # noqa: E402
from kb.embeddings import DTYPE, load_embedder  # noqa: E402
from kb.filters import Filters  # noqa: E402
from kb.search import SearchEngine  # noqa: E402


def padded_db(work: Path, passages: int) -> Path:
    """The records' database plus `passages` synthetic passages, made once per work folder."""
    target = work / f"padded-{passages}.db"
    if target.exists():
        print(f"reusing {target}")
        return target
    base = work / "base" / "lessons.db"
    if not base.exists():
        base.parent.mkdir(parents=True, exist_ok=True)
        fresh_db(base.parent)
    started = time.perf_counter()
    partial = work / f".padded-{passages}.db"

    def progress(done: int) -> None:
        if done % 50_000 == 0 or done == passages:
            print(f"  {done:,} passages written, {time.perf_counter() - started:.0f} s", flush=True)

    times: dict[str, float] = {}
    pad_with_passages(base, partial, passages, progress=progress, times=times)
    partial.replace(target)
    wall = time.perf_counter() - started
    print(f"padded with {passages:,} synthetic passages in {wall:.0f} s "
          f"({wall / passages * 1e6:.0f} µs a passage): rows, FTS and vectors {times['write']:.0f} s, "
          f"stored search index {times['index']:.0f} s; {target.stat().st_size / 1e6:,.0f} MB")
    return target


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def kb_warm(db: Path, embedder, queries: list[str]) -> dict[str, float]:
    """Median ms per query by mode, and a hybrid query's parts."""
    engine = SearchEngine(db, embedder=embedder)
    started = time.perf_counter()
    engine.search("warm up", mode="hybrid")
    print(f"kb: first hybrid search of a new engine (loads the index) "
          f"{time.perf_counter() - started:.2f} s", flush=True)
    out = warm_search_ms(engine, queries)
    parts = {"query vector": [], "keyword side": [], "vector side": []}
    for q in queries:
        parsed = engine.prepare(q, "hybrid")
        engine._last_vector = None
        started = time.perf_counter()
        engine._vector(parsed)
        parts["query vector"].append(time.perf_counter() - started)
        started = time.perf_counter()
        engine._keyword(parsed, 50, Filters())
        parts["keyword side"].append(time.perf_counter() - started)
        started = time.perf_counter()
        engine._cosines(parsed, Filters(), 50)
        parts["vector side"].append(time.perf_counter() - started)
    out.update({name: median_ms(t) for name, t in parts.items()})
    out["recall@10"] = vector_recall(engine, queries)
    return out


def vector_recall(engine: SearchEngine, queries: list[str]) -> float:
    """Share of the exhaustive top 10 by cosine that the engine's semantic ranking keeps."""
    matrix = engine.index.matrix
    found = []
    for q in queries:
        parsed = engine.prepare(q, "semantic")
        vector = engine._vector(parsed)
        exact = np.argpartition(-(matrix.astype(np.float32) @ vector), 10)[:10]
        truth = set(engine.index.rowids[exact].tolist())
        ranked = {r[0] for r in sorted(engine.rank(parsed, "semantic", 50), key=lambda r: -r[2])[:10]}
        found.append(len(truth & ranked) / 10)
    return statistics.mean(found)


def txtai_warm(db: Path, embedder, queries: list[str]) -> dict[str, float]:
    """txtai hybrid over the same texts, vectors and queries: median ms per query."""
    from txtai import Embeddings

    conn = sqlite3.connect(db)
    rows = conn.execute("select items.item, items.text, embeddings.vector from items join "
                        "embeddings on embeddings.kind = items.kind and embeddings.id = items.id "
                        "order by items.item").fetchall()
    conn.close()
    vectors = {text: np.frombuffer(vector, dtype=DTYPE) for _, text, vector in rows}

    in_model = []

    def transform(texts):
        # The stored vector of an indexed text; a query is embedded by kb's model (timed).
        started = time.perf_counter()
        out = np.array([vectors[t] if t in vectors else embedder.encode_one(t) for t in texts],
                       dtype=np.float32)
        in_model.append(time.perf_counter() - started)
        return out

    embeddings = Embeddings(method="external", transform=transform, content=True, hybrid=True)
    started = time.perf_counter()
    embeddings.index((item, text, None) for item, text, _ in rows)
    built = time.perf_counter() - started
    del rows
    gc.collect()
    embeddings.search("warm up", 10)
    times, vector_times = [], []
    for q in queries:
        in_model.clear()
        started = time.perf_counter()
        embeddings.search(q, 10)
        times.append(time.perf_counter() - started)
        vector_times.append(sum(in_model))
    out = {"hybrid": median_ms(times), "query vector": median_ms(vector_times),
           "index seconds": built}
    embeddings.close()
    return out


def ingest_cost(db: Path, work: Path, documents: int) -> tuple[int, float, float]:
    """(passages, seconds, of which in the model) for the real ingest path into `db`."""
    from bench.ingest import make_corpus
    from ingest.ingester import Ingester

    target = work / "ingest-target.db"
    shutil.copy(db, target)  # the padded database stays as generated, for the next run
    corpus = work / "ingest-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    files = make_corpus(corpus, documents)
    data = work / "ingest-data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    started = time.perf_counter()
    ingester = Ingester(target, data)
    report = ingester.ingest(files, case="bench-case")
    ingester.close()
    wall = time.perf_counter() - started
    assert not report.failed, report.failed
    target.unlink()
    return sum(o.passages for o in report.outcomes), wall, report.embed_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--no-txtai", action="store_true", help="kb alone")
    parser.add_argument("--work", type=Path, help="keep (and reuse) the generated databases here")
    parser.add_argument("--ingest-documents", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="cold starts to take the median of")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lessons-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    queries = questions()[:args.queries]
    embedder = load_embedder()
    db = padded_db(work, args.passages)
    with sqlite3.connect(db) as conn:
        (items,) = conn.execute("select count(*) from items").fetchone()
    print(f"\n== {items:,} items ({args.passages:,} synthetic passages), {len(queries)} queries, "
          "medians ==")

    kb = kb_warm(db, embedder, queries)
    txtai = None if args.no_txtai else txtai_warm(db, embedder, queries)
    print(f"\n{'warm, ms per query':28} {'kb':>9} {'txtai':>9}")
    print(f"{'hybrid':28} {kb['hybrid']:9.1f} "
          + (f"{txtai['hybrid']:9.1f}" if txtai else f"{'-':>9}"))
    for name in ("semantic", "keyword", "query vector", "keyword side", "vector side"):
        theirs = f"{txtai[name]:9.1f}" if txtai and name in txtai else f"{'':>9}"
        print(f"{'  ' + name:28} {kb[name]:9.1f} {theirs}")
    if txtai:
        print(f"kb / txtai, hybrid: {kb['hybrid'] / txtai['hybrid']:.2f} "
              f"(txtai indexed the same rows in {txtai['index seconds']:.0f} s)")
    print(f"kb vector side recall@10 against the exhaustive ranking: {kb['recall@10']:.3f}")

    walls, peaks = zip(*(run_kb(["search", "--db", str(db), "--json", "VAT risk of LLP"])
                         for _ in range(args.runs)))
    print(f"cold `kb search` (hybrid), start to first answer: {statistics.median(walls):.2f} s, "
          f"peak memory {statistics.median(peaks):.0f} MB")

    if args.ingest_documents:
        passages, wall, model = ingest_cost(db, work, args.ingest_documents)
        print(f"kb ingest of {args.ingest_documents} documents ({passages} passages) into it: "
              f"{wall:.1f} s, {wall / passages * 1000:.1f} ms per passage "
              f"({model / passages * 1000:.1f} ms of it in the model)")
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
