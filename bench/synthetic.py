"""A database padded with synthetic passages, for measuring search at scale.

Embedding 100,000 real passages would take a quarter of an hour here (and 1,000,000 more
than two hours), so passages get text drawn from the real records' vocabulary (FTS sees a
realistic spread of words) and vectors made from the real ones: each is a mix of two
vectors of the database (records, lesson parts, words), a random weight on each, plus
Gaussian noise of about the spread between them, normalised. Random unit vectors would sit
almost at right angles to every query and to each other (cosine ≈ 0 ± 0.05), which no real
archive does and which makes an approximate index look better or worse than it would be;
mixes of real vectors keep the clusters and the cosine spread of real text (queries land
at 0.3–0.7 of their nearest passages, as they do on the records). Passages are written as
`kb ingest` writes a document: passage rows, their items (kb.items.passage_item, indexed by
the FTS triggers) and one vector each."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import sqlite_utils

from kb import segments
from kb.database import read_meta
from kb.embeddings import DTYPE, from_blobs, to_blob
from kb.items import passage_item
from kb.embedding_store import write_items

DOCUMENT = {"id": "synthetic", "case": "dudley", "path": "synthetic",
            "title": "Synthetic document", "format": "txt"}
BATCH = 20_000  # passages per transaction (and per new segment of the stored index)
NOISE = 0.6  # Gaussian noise per vector, as a share of a unit vector's length


def realistic_vectors(real: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` unit vectors, each a random mix of two of `real` plus noise (see above)."""
    first = real[rng.integers(len(real), size=count)]
    second = real[rng.integers(len(real), size=count)]
    weight = rng.uniform(0.2, 0.8, size=(count, 1)).astype(np.float32)
    vectors = weight * first + (1 - weight) * second
    noise = rng.standard_normal(vectors.shape).astype(np.float32)
    vectors += noise * (NOISE / np.sqrt(real.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def pad_with_passages(source_db: Path, target_db: Path, count: int, *, seed: int = 7,
                      progress: Callable[[int], None] | None = None) -> Path:
    shutil.copy(source_db, target_db)
    rng, vector_rng = random.Random(seed), np.random.default_rng(seed)
    db = sqlite_utils.Database(target_db)
    words = [w for (text,) in db.execute("select text from items") for w in text.split()]
    model = read_meta(db.conn)["model"]
    (blob_size,) = db.execute("select length(vector) from embeddings").fetchone()
    real = from_blobs((v for (v,) in db.execute("select vector from embeddings")),
                      blob_size // DTYPE.itemsize)
    db["documents"].insert(DOCUMENT)
    for start in range(0, count, BATCH):
        passages = [{"id": f"synthetic-{n}", "document": DOCUMENT["id"], "case": DOCUMENT["case"],
                     "ordinal": n, "locator": f"page {n // 4 + 1}",
                     "text": " ".join(rng.choices(words, k=rng.randint(40, 120)))}
                    for n in range(start, min(start + BATCH, count))]
        items = [passage_item(p, DOCUMENT) for p in passages]
        vectors = realistic_vectors(real, len(items), vector_rng)
        with db.conn:
            db["passages"].insert_all(passages)
            write_items(db, items)
            db["embeddings"].insert_all(
                {"kind": i.kind, "id": i.id, "model": model, "content_hash": i.content_hash,
                 "vector": to_blob(v)} for i, v in zip(items, vectors))
            segments.update(db.conn)
        if progress:
            progress(start + len(items))
    db.close()
    return target_db
