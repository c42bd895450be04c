"""A database padded with synthetic passages, for measuring search at scale.

Embedding 100,000 real passages would take a quarter of an hour, and the search cost does
not depend on what the vectors mean: so passages get text drawn from the real records'
vocabulary (FTS sees a realistic spread of words) and random unit vectors."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np

from kb.embeddings import content_hash, to_blob


def pad_with_passages(source_db: Path, target_db: Path, count: int, *, seed: int = 7) -> Path:
    shutil.copy(source_db, target_db)
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed).standard_normal((count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    conn = sqlite3.connect(target_db)
    words = [w for (text,) in conn.execute("select text from items") for w in text.split()]
    meta = dict(conn.execute("select key, value from meta"))
    with conn:
        conn.execute("insert into documents (id, \"case\", path, title, format) values "
                     "('synthetic', 'dudley', 'synthetic', 'Synthetic document', 'txt')")
        for start in range(0, count, 5000):
            rows, items, embeddings = [], [], []
            for n in range(start, min(start + 5000, count)):
                text = " ".join(rng.choices(words, k=rng.randint(40, 120)))
                pid = f"synthetic-{n}"
                rows.append((pid, "synthetic", "dudley", n, f"page {n // 4 + 1}", text))
                items.append(("passage", pid, "dudley", f"Synthetic document — page {n // 4 + 1}",
                              text, "[]", "synthetic", "Synthetic document", f"page {n // 4 + 1}",
                              content_hash(text)))
                embeddings.append(("passage", pid, meta["model"], content_hash(text),
                                   to_blob(vectors[n])))
            conn.executemany("insert into passages (id, document, \"case\", ordinal, locator, text)"
                             " values (?, ?, ?, ?, ?, ?)", rows)
            conn.executemany("insert into items (kind, id, \"case\", title, text, themes, source, "
                             "source_title, locator, content_hash) values (?,?,?,?,?,?,?,?,?,?)", items)
            conn.executemany("insert into embeddings values (?, ?, ?, ?, ?)", embeddings)
    conn.close()
    return target_db
