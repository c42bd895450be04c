"""A database padded with synthetic passages, for measuring search at scale.

Embedding 100,000 real passages would take a quarter of an hour here (and 1,000,000 more
than two hours), so passages get text drawn from the real records' vocabulary (FTS sees a
realistic spread of words) and vectors made from the real ones: each is a mix of two
vectors of the database (records, lesson parts, words), a random weight on each, plus
Gaussian noise of about the spread between them, normalised. Random unit vectors would sit
almost at right angles to every query and to each other (cosine ≈ 0 ± 0.05), which no real
archive does and which makes an approximate index look better or worse than it would be;
mixes of real vectors keep the clusters and the cosine spread of real text (queries land
at 0.3–0.7 of their nearest passages, as they do on the records).

Passages are written as `kb ingest` writes a document (passage rows, their items from
kb.items.passage_item, indexed by the FTS triggers, one vector each, then
kb.segments.update for the stored index), but in bulk: words and vectors drawn with numpy
for a whole batch at once, rows inserted with one prepared statement per table, everything
in one transaction. Row by row through sqlite-utils, 1,000,000 passages were written at
28 MB a minute under load (last session); pass `times` to learn where this one's time went.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.ingester import CACHE_KIB
from kb import segments
from kb.database import read_meta
from kb.embedding_store import first_free_item
from kb.embeddings import DTYPE, from_blobs
from kb.items import passage_item

DOCUMENT = {"id": "synthetic", "case": "dudley", "path": "synthetic",
            "title": "Synthetic document", "format": "txt"}
BATCH = 50_000  # passages drawn and inserted at once (progress is reported per batch)
NOISE = 0.6  # Gaussian noise per vector, as a share of a unit vector's length
WORDS = (40, 120)  # words per passage, drawn uniformly


def realistic_vectors(real: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` unit vectors, each a random mix of two of `real` plus noise (see above)."""
    first = real[rng.integers(len(real), size=count)]
    second = real[rng.integers(len(real), size=count)]
    weight = rng.uniform(0.2, 0.8, size=(count, 1)).astype(np.float32)
    vectors = weight * first + (1 - weight) * second
    noise = rng.standard_normal(vectors.shape).astype(np.float32)
    vectors += noise * (NOISE / np.sqrt(real.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(DTYPE, copy=False)


def synthetic_texts(words: np.ndarray, count: int, rng: np.random.Generator) -> list[str]:
    """`count` texts of WORDS words each, drawn from `words` (with their frequencies)."""
    lengths = rng.integers(WORDS[0], WORDS[1] + 1, size=count)
    drawn = words[rng.integers(len(words), size=int(lengths.sum()))]
    ends = np.cumsum(lengths)
    return [" ".join(drawn[end - length:end]) for end, length in zip(ends.tolist(), lengths.tolist())]


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], rows) -> None:
    """Insert tuples of `columns` into `table` with one prepared statement."""
    names = ", ".join(f'"{c}"' for c in columns)
    conn.executemany(f'insert into "{table}" ({names}) values ({", ".join("?" * len(columns))})',
                     rows)


def pad_with_passages(source_db: Path, target_db: Path, count: int, *, seed: int = 7,
                      progress: Callable[[int], None] | None = None,
                      times: dict[str, float] | None = None) -> Path:
    """A copy of `source_db` with `count` synthetic passages of one document, written and
    indexed in one transaction; `times` gets the seconds spent writing rows (with their FTS
    entries and vectors) as "write", and building the stored search index as "index"."""
    shutil.copy(source_db, target_db)
    rng = np.random.default_rng(seed)
    conn = sqlite3.connect(target_db, isolation_level=None)
    conn.execute(f"pragma cache_size = -{CACHE_KIB}")  # as the ingester sets it
    words = np.array([w for (text,) in conn.execute("select text from items") for w in text.split()])
    model = read_meta(conn)["model"]
    (blob_size,) = conn.execute("select length(vector) from embeddings").fetchone()
    real = from_blobs((v for (v,) in conn.execute("select vector from embeddings")),
                      blob_size // DTYPE.itemsize)
    first = first_free_item(conn)
    times = {} if times is None else times
    started = time.perf_counter()
    conn.execute("begin")
    _insert(conn, "documents", list(DOCUMENT), [tuple(DOCUMENT.values())])
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        passages = [{"id": f"synthetic-{n}", "document": DOCUMENT["id"], "case": DOCUMENT["case"],
                     "ordinal": n, "locator": f"page {n // 4 + 1}", "text": text}
                    for n, text in enumerate(synthetic_texts(words, size, rng), start)]
        _insert(conn, "passages", list(passages[0]), (tuple(p.values()) for p in passages))
        items = [passage_item(p, DOCUMENT) for p in passages]
        rows = [{"item": n, **item.row()} for n, item in enumerate(items, first + start)]
        _insert(conn, "items", list(rows[0]), (tuple(r.values()) for r in rows))
        vectors = realistic_vectors(real, size, rng)
        _insert(conn, "embeddings", ["kind", "id", "model", "content_hash", "vector"],
                ((i.kind, i.id, model, i.content_hash, v.tobytes()) for i, v in zip(items, vectors)))
        if progress:
            progress(start + size)
    times["write"] = time.perf_counter() - started
    started = time.perf_counter()
    segments.update(conn)
    conn.execute("commit")
    times["index"] = time.perf_counter() - started
    conn.close()
    return target_db
