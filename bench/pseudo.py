"""Pseudo-queries: each curated question of data/cases as a query for its own lesson.

The curated questions (several per lesson, lay-voice ones among them) are hundreds of
labelled questions that are not a query set. Each is asked with itself left out of what the
engine searches: its part vector is dropped, the lesson's whole text is embedded and
keyword-indexed without it (a TEMP FTS5 table shadows items_fts on the engine's
connection), and the query adapter (kb/adapter.py), which the build fits on these very
questions, is replaced by one fitted without the fifth of them the question falls in
(FOLDS adapters, kept between runs). Used by bench/calibrate.py (the hybrid blend) and
bench/ranking.py.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.evaluate import Question
from kb import adapter, config
from kb.casefiles import read_corpus
from kb.items import Parts, lesson_text

CACHE = Path(tempfile.gettempdir()) / "lessons-pseudo-queries"
FOLDS = 5


def pseudo_queries(engine, data_dir: Path | None = None) -> Iterator[Question]:
    """Each curated question, yielded while the engine searches its lesson without it
    (the engine's in-memory index: a database below kb.segments.MIN_ITEMS items)."""
    lessons = [lesson for case in read_corpus(data_dir or config.data_dir()).cases
               for lesson in case.lessons]
    asked = [(lesson, n, question) for lesson in lessons
             for n, question in enumerate(lesson.questions, start=1)]
    texts = [lesson_text(lesson.model_copy(update={"questions": [
        q for m, q in enumerate(lesson.questions, start=1) if m != n]}))
        for lesson, n, _ in asked]
    vectors = _embedded(engine, texts)
    item_of = dict(engine.conn.execute("select id, item from items where kind = 'lesson'"))
    index, parts = engine.index, engine.parts
    names = np.array(parts.names, dtype=object)
    adapters = _fold_adapters(parts)
    conn = engine.conn
    conn.execute("create virtual table temp.items_fts using fts5(title, text, tokenize='porter')")
    conn.execute("insert into temp.items_fts(rowid, title, text) "
                 "select item, title, text from main.items")
    try:
        print(f"{len(asked)} pseudo-queries: ", end="", flush=True)
        for count, ((lesson, n, question), text, vector) in enumerate(zip(asked, texts, vectors)):
            if count % 100 == 0:
                print(count, end=" ", flush=True)
            item = item_of[lesson.id]
            row = int(np.searchsorted(index.rowids, item))
            keep = ~((parts.items == item) & (names == f"question-{n}"))
            index.matrix[row], saved = vector, index.matrix[row].copy()
            engine._parts = Parts(items=parts.items[keep], names=list(names[keep]),
                                  vectors=parts.vectors[keep])
            conn.execute("update temp.items_fts set text = ? where rowid = ?", [text, item])
            engine._holding.clear()  # which items hold a word, read from the shadow
            engine._adapter, engine._adapter_read = adapters[(item, f"question-{n}")], True
            try:
                yield Question(q=question, answers=frozenset({lesson.id}), style="pseudo")
            finally:
                conn.execute("update temp.items_fts set text = (select text from main.items "
                             "where item = ?) where rowid = ?", [item, item])
                index.matrix[row] = saved
                engine._parts = parts
        print("done", flush=True)
    finally:
        conn.execute("drop table temp.items_fts")
        engine._holding.clear()
        engine._adapter_read = False  # the database's own, read again


def _fold_adapters(parts) -> dict[tuple[int, str], np.ndarray]:
    """For each curated question (lesson rowid, part name), an adapter fitted without the
    fold it falls in (questions dealt into FOLDS at random, seeded), kept between runs."""
    asked = np.flatnonzero([n.startswith(adapter.QUESTION_PREFIX) for n in parts.names])
    fold = np.empty(len(parts.names), dtype=int)
    fold[asked] = np.random.default_rng(0).permutation(len(asked)) % FOLDS
    fitted = []
    for k in range(FOLDS):
        keep = np.ones(len(parts.names), dtype=bool)
        keep[asked[fold[asked] == k]] = False
        training = adapter.training_set(parts.items[keep], [parts.names[i] for i in
                                                            np.flatnonzero(keep)],
                                        parts.vectors[keep])
        path = CACHE / f"adapter-{adapter.content_hash(*training)}.npy"
        if not path.exists():
            print(f"fitting the query adapter without fold {k + 1} of {FOLDS}", flush=True)
            CACHE.mkdir(exist_ok=True)
            np.save(path, adapter.fit(*training))
        fitted.append(np.load(path))
    return {(int(parts.items[i]), parts.names[i]): fitted[fold[i]] for i in asked}


def _embedded(engine, texts: list[str]) -> np.ndarray:
    """The texts' vectors, kept between runs (keyed by the texts and the model)."""
    CACHE.mkdir(exist_ok=True)
    model = engine.meta.get("model") or ""
    key = hashlib.sha256("\x00".join([model, *texts]).encode()).hexdigest()[:16]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    print(f"embedding {len(texts)} lesson texts, each without one of its questions", flush=True)
    vectors = engine.load_embedder().encode(texts)
    np.save(path, vectors)
    return vectors
