"""A database padded with synthetic passages, for measuring search at scale.

Embedding 100,000 real passages would take a quarter of an hour, and the search cost does
not depend on what the vectors mean: so passages get text drawn from the real records'
vocabulary (FTS sees a realistic spread of words) and random unit vectors. They are written
as `kb ingest` writes a document: passage rows, their items (kb.items.passage_item, indexed
by the FTS triggers) and one vector each."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import sqlite_utils

from kb.database import read_meta
from kb.embeddings import DTYPE, to_blob
from kb.items import passage_item
from kb.embedding_store import write_items

DOCUMENT = {"id": "synthetic", "case": "dudley", "path": "synthetic",
            "title": "Synthetic document", "format": "txt"}
BATCH = 5000


def pad_with_passages(source_db: Path, target_db: Path, count: int, *, seed: int = 7) -> Path:
    shutil.copy(source_db, target_db)
    rng, vector_rng = random.Random(seed), np.random.default_rng(seed)
    db = sqlite_utils.Database(target_db)
    words = [w for (text,) in db.execute("select text from items") for w in text.split()]
    model = read_meta(db.conn)["model"]
    (blob_size,) = db.execute("select length(vector) from embeddings").fetchone()
    db["documents"].insert(DOCUMENT)
    for start in range(0, count, BATCH):
        passages = [{"id": f"synthetic-{n}", "document": DOCUMENT["id"], "case": DOCUMENT["case"],
                     "ordinal": n, "locator": f"page {n // 4 + 1}",
                     "text": " ".join(rng.choices(words, k=rng.randint(40, 120)))}
                    for n in range(start, min(start + BATCH, count))]
        items = [passage_item(p, DOCUMENT) for p in passages]
        vectors = vector_rng.standard_normal((len(items), blob_size // DTYPE.itemsize))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        db["passages"].insert_all(passages)
        write_items(db, items)
        db["embeddings"].insert_all(
            {"kind": i.kind, "id": i.id, "model": model, "content_hash": i.content_hash,
             "vector": to_blob(v)} for i, v in zip(items, vectors))
    db.close()
    return target_db
