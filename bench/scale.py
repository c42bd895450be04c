"""Search at scale, side by side with txtai (issue 17).

    .venv/bin/python bench/scale.py [--passages 100000] [--queries 40] [--no-txtai]
                                    [--work DIR] [--ingest-documents 20] [--switch-over]
                                    [--rounds 3]
                                    [--crossover 10000,20000,40000]

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
- the ratio of the two warm hybrid medians, kb and txtai timed in turn on each question
  (`--rounds` passes) after one untimed pass of both (the load of this machine changes
  by the minute), with the load average before and after;
- recall at 10 of kb's vector side against the exhaustive cosine ranking (1.0 while the
  scan is exhaustive);
- with `--crossover 10000,20000,40000`, warm search with the stored index against FTS5
  and the exact scan on the same files (where kb.segments.MIN_ITEMS sits);
- with `--switch-over`, filtered hybrid searches ranked exactly over what the filter
  leaves against the graph with the filter applied inside it (where EXACT_FILTERED sits);
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
import os
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
from kb.search import MODES, SearchEngine  # noqa: E402


def padded_db(work: Path, passages: int, name: str = "padded") -> Path:
    """The records' database plus `passages` synthetic passages, made once per work folder."""
    target = work / f"{name}-{passages}.db"
    if target.exists():
        print(f"reusing {target}")
        return target
    base = work / "base" / "lessons.db"
    if not base.exists():
        base.parent.mkdir(parents=True, exist_ok=True)
        fresh_db(base.parent)
    started = time.perf_counter()
    partial = work / f".{name}-{passages}.db"

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
    for q in queries:  # the page cache warmed, as txtai's is (txtai_warm)
        engine.search(q, mode="hybrid")
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
    """Share of the exhaustive top 10 by cosine that the engine's vector side (the items it
    scores: kb.search.SearchEngine._cosines) holds as its top 10 by cosine. (Not the semantic
    ranking's: that blends in the adapted cosines, kb/adapter.py.)"""
    matrix = engine.index.matrix
    found = []
    for q in queries:
        parsed = engine.prepare(q, "semantic")
        vector = engine._vector(parsed)
        exact = np.argpartition(-(matrix.astype(np.float32) @ vector), 10)[:10]
        truth = set(engine.index.rowids[exact].tolist())
        measured = engine._cosines(parsed, Filters(), 50)
        ranked = set(measured.rowids[np.argsort(-measured.cosine)[:10]].tolist())
        found.append(len(truth & ranked) / 10)
    return statistics.mean(found)


def switch_over(db: Path, work: Path, embedder, queries: list[str]) -> None:
    """A filtered hybrid search past kb.segments.MIN_ITEMS, ranked exactly over the items
    the filter leaves (read their float32 vectors) or searched in the graph with the
    filter applied to each segment's neighbours, at filters leaving 0.5–20% of the items:
    where kb.search.EXACT_FILTERED should sit. The synthetic passages of a copy are given
    to four cases in blocks (20%, 5%, 2%, 0.5%), so that a case filter leaves that many."""
    from kb import search

    copy = work / "switch-over.db"
    shutil.copy(db, copy)
    shares = {"sunderland": 0.2, "west-london": 0.05, "uniting-care": 0.02, "nhs-england": 0.005}
    with sqlite3.connect(copy) as conn:
        passages = [r[0] for r in conn.execute(
            "select item from items where kind = 'passage' order by item")]
        start = 0
        for case, share in shares.items():
            block = passages[start:start + int(share * len(passages))]
            conn.execute('update items set "case" = ? where item between ? and ?',
                         [case, block[0], block[-1]])
            start += len(block)
    saved = search.EXACT_FILTERED
    print(f"\n{'filtered hybrid, ms per query':32} {'items left':>10} {'exact':>8} {'graph':>8} "
          f"{'recall@10':>10}")
    try:
        for case in reversed(shares):
            filters = Filters.of(case=case)
            times, ranked = {}, {}
            for name, limit in (("exact", 10**9), ("graph", 0)):
                search.EXACT_FILTERED = limit
                engine = SearchEngine(copy, embedder=embedder)
                engine.search("warm up", filters=filters)
                ranked[name] = [[h.id for h in engine.search(q, filters=filters).hits]
                                for q in queries]
                times[name] = warm_search_ms(engine, queries, modes=("hybrid",),
                                             filters=filters)["hybrid"]
            recall = statistics.mean(len(set(a) & set(b)) / max(len(a), 1)
                                     for a, b in zip(ranked["exact"], ranked["graph"]))
            left = len(engine._allowed_items(filters))
            print(f"{'  case ' + case:32} {left:>10,} {times['exact']:8.1f} {times['graph']:8.1f} "
                  f"{recall:10.3f}")
    finally:
        search.EXACT_FILTERED = saved
        copy.unlink()


def crossover(work: Path, embedder, queries: list[str], sizes: list[int]) -> None:
    """Warm search at `sizes` synthetic passages with the stored index and, on the same
    file, with FTS5 and the exact float32 scan: where kb.segments.MIN_ITEMS should sit."""
    from kb import segments

    print(f"\n{'warm ms per query, stored / exhaustive':40} {'hybrid':>15} {'semantic':>15} "
          f"{'keyword':>15}")
    saved = segments.MIN_ITEMS
    segments.MIN_ITEMS = 0  # write the stored index at every size measured
    try:
        for size in sizes:
            db = padded_db(work, size, "crossover")  # indexed at every size
            stored = SearchEngine(db, embedder=embedder)
            exhaustive = SearchEngine(db, embedder=embedder)
            exhaustive._stored_present = False
            for engine in (stored, exhaustive):
                engine.search("warm up")
            ours, theirs = warm_search_ms(stored, queries), warm_search_ms(exhaustive, queries)
            print(f"{f'  {size:,} passages':40} "
                  + " ".join(f"{ours[m]:7.1f}/{theirs[m]:<7.1f}" for m in MODES))
    finally:
        segments.MIN_ITEMS = saved


def txtai_warm(db: Path, embedder, queries: list[str], rounds: int = 3) -> dict[str, float]:
    """txtai hybrid over the same texts, vectors and queries, and kb's, timed in turn
    (`rounds` times over the questions): median ms per query."""
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
    # One pass over the questions first, on both sides, so that neither is timed on a
    # cold page cache; then each question by kb and by txtai in turn, so that both are
    # timed at the same moments of a machine whose load changes by the minute.
    engine = SearchEngine(db, embedder=embedder)
    for q in queries:
        engine.search(q, mode="hybrid")
        embeddings.search(q, 10)
    ours, times, vector_times = [], [], []
    load = [os.getloadavg()[0]]
    for q in queries * rounds:
        started = time.perf_counter()
        engine.search(q, mode="hybrid", limit=10)
        ours.append(time.perf_counter() - started)
        in_model.clear()
        started = time.perf_counter()
        embeddings.search(q, 10)
        times.append(time.perf_counter() - started)
        vector_times.append(sum(in_model))
    load.append(os.getloadavg()[0])
    out = {"hybrid": median_ms(times), "query vector": median_ms(vector_times),
           "kb hybrid": median_ms(ours), "index seconds": built, "load": load}
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
    parser.add_argument("--rounds", type=int, default=3,
                        help="passes over the questions timing kb and txtai in turn")
    parser.add_argument("--switch-over", action="store_true",
                        help="also time filtered searches, exact against the graph")
    parser.add_argument("--crossover", type=lambda v: [int(n) for n in v.split(",")],
                        help="sizes (e.g. 10000,20000,40000) to time stored index against "
                             "FTS5 and the exact scan, before the main run")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lessons-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    queries = questions()[:args.queries]
    embedder = load_embedder()
    if args.crossover:
        crossover(work, embedder, queries, args.crossover)
    db = padded_db(work, args.passages)
    with sqlite3.connect(db) as conn:
        (items,) = conn.execute("select count(*) from items").fetchone()
    print(f"\n== {items:,} items ({args.passages:,} synthetic passages), {len(queries)} queries, "
          "medians ==")

    kb = kb_warm(db, embedder, queries)
    txtai = None if args.no_txtai else txtai_warm(db, embedder, queries, args.rounds)
    print(f"\n{'warm, ms per query':28} {'kb':>9} {'txtai':>9}")
    print(f"{'hybrid':28} {kb['hybrid']:9.1f} "
          + (f"{txtai['hybrid']:9.1f}" if txtai else f"{'-':>9}"))
    for name in ("semantic", "keyword", "query vector", "keyword side", "vector side"):
        theirs = f"{txtai[name]:9.1f}" if txtai and name in txtai else f"{'':>9}"
        print(f"{'  ' + name:28} {kb[name]:9.1f} {theirs}")
    if txtai:
        print(f"{'hybrid, in turn with txtai':28} {txtai['kb hybrid']:9.1f} {txtai['hybrid']:9.1f}")
        print(f"kb / txtai, hybrid, timed in turn: {txtai['kb hybrid'] / txtai['hybrid']:.2f} "
              f"(load average {txtai['load'][0]:.1f} before, {txtai['load'][1]:.1f} after; "
              f"txtai indexed the same rows in {txtai['index seconds']:.0f} s)")
    print(f"kb vector side recall@10 against the exhaustive ranking: {kb['recall@10']:.3f}")

    if args.switch_over:
        switch_over(db, work, embedder, queries)

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
