"""The stored search index of a large database: keyword postings and an int8 vector graph,
in segments inside the database file.

Measured at 100,304 items before it (bench/scale.py, one run, shared 2-core machine at load
10–16, medians over 40 questions): warm hybrid 395 ms against txtai's 200 ms on the same
texts, vectors and queries; of it FTS5's bm25 over an OR of the query's words (it scores
every row holding any of them) 220 ms, the exhaustive float32 scan 66 ms, the query's vector
50 ms; the first search of a new engine (reading 100k vectors row by row) 4.8 s. At
1,000,000 × 384 the float32 matrix alone would be 1.5 GB. Past MIN_ITEMS items the writers
keep, and the engine reads, this instead:

- keyword: one row per (term, segment) holding the segment positions of the items with
  that Porter stem, and its count in the title and in the text; a query reads only its
  terms' rows and scores bm25 with numpy, as FTS5 does (same k1, b, idf, title weight,
  length over both columns). A term's postings are read on demand and then kept, with
  each posting's bm25 term-frequency factor, up to POSTINGS_CACHE_BYTES (the least
  recently used dropped first): the query words' rows and their arithmetic were 2.6 ms
  of a warm query at 100k items, 0.75 ms kept (medians of 40 questions, in turn, load 9;
  1.8 and 0.73 ms in another run). bm25s was the library to use, but it holds the
  whole matrix in memory (about 0.5 GB at a million passages) and cannot add documents
  without re-indexing them all; the rows here are written by the same transaction that
  writes the items, so an ingest adds a segment and a killed one leaves nothing behind.
- vectors: a usearch HNSW graph per segment over int8-quantised vectors (a quarter of
  float32's memory), searched for candidates; every candidate's cosine is then computed
  from its stored float32 vector, so the scores and the blend are those of the exhaustive
  scan, and only whether a passage is found can differ (recall at 10 ≥ 0.99 measured,
  bench/scale.py). Scoring the candidates with the graph's own int8 vectors instead would
  read nothing, but their cosines were off by up to 0.011 at 100k items (0.008 at the
  median of 40 questions' worst), enough to reorder a top ten: not kept.

Segments are merged as a binary counter (the newest two whenever the older is at most
twice the newer), so a database of n items holds O(log n) of them and each item is
rewritten O(log n) times in all. A merge drops items removed since. Below MIN_ITEMS
nothing is written and the engine ranks with FTS5 and an exact float32 scan, as before:
the ranking of a small knowledge base is exactly what it was.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kb.embeddings import DTYPE
from kb.query import stem, unaccented
from kb.vocabulary import ITEM_KINDS

# Past this many items the stored index is kept and used. Not calibrated: at the current
# 300 items both paths give the same ranking and the small-size budgets hold with FTS5 and
# the exact scan; `bench/scale.py --passages N` measures the crossover.
MIN_ITEMS = 20_000
CHUNK = 100_000        # items indexed per segment when a build writes many at once
K1, B = 1.2, 0.75      # FTS5's bm25 constants (fts5_aux.c)
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
# The keyword postings kept in memory after their first read, in bytes (12 a posting: its
# position and its bm25 factor). The 100k database's whole index is 82 MB that way; at a
# million items the cap held the searching process's peak at 927 MB (851 MB before).
POSTINGS_CACHE_BYTES = 128 * 2**20
_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=262144)
def _stem(word: str) -> str:
    return stem(word)


def tokens(text: str) -> list[str]:
    """The terms FTS5's `porter` tokenizer (over unicode61) stores for `text`: letters and
    digits split at everything else, lower-cased, diacritics removed, Porter-stemmed."""
    return [_stem(w) for w in _TOKEN.findall(unaccented(text.lower()))]


def _usearch_index():
    """usearch's Index class. onnxruntime is imported before it: with usearch 2.26.6 loaded
    first, importing onnxruntime 1.32 kills the process (SIGSEGV), so a keyword search on a
    large database followed by the model's load crashed the searching process."""
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def _graph(dimensions: int):
    return _usearch_index()(ndim=dimensions, metric="cos", dtype="i8", connectivity=CONNECTIVITY,
                 expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)


def _restore(blob: bytes, *, view: bool = False):
    """The usearch index stored in `blob`: a view of its bytes for reading (the engine holds
    one copy of the graph, not two), or a copy that a writer can add to."""
    graph = _usearch_index().restore(blob, view=view)
    graph.expansion_search = EXPANSION_SEARCH
    return graph


# -- writing (inside the writer's transaction) ---------------------------------------------
def update(conn: sqlite3.Connection) -> None:
    """Index the items written since the last update, then merge segments. Called by every
    writer after its items and their vectors are written, inside its transaction."""
    segments = conn.execute("select segment, last from search_segments order by segment").fetchall()
    if not segments:
        (count,) = conn.execute("select count(*) from items").fetchone()
        if count < MIN_ITEMS:
            return
    after = max((last for _, last in segments), default=0)
    cursor = conn.execute(
        "select items.item, items.title, items.text, embeddings.vector from items "
        "join embeddings on embeddings.kind = items.kind and embeddings.id = items.id "
        "where items.item > ? order by items.item", [after])
    dimensions = 0
    while rows := cursor.fetchmany(CHUNK):
        dimensions = len(rows[0][3]) // DTYPE.itemsize
        _write_segment(conn, rows, dimensions)
    if dimensions:
        _merge(conn, dimensions)


def _write_segment(conn: sqlite3.Connection, rows: list[tuple], dimensions: int) -> None:
    items = np.array([r[0] for r in rows], dtype=np.int64)
    lengths = np.empty(len(rows), dtype=np.uint32)
    postings: dict[str, list[tuple[int, int, int]]] = {}
    for position, (_, title, text, _) in enumerate(rows):
        counts: dict[str, list[int]] = {}
        title_terms, text_terms = tokens(title), tokens(text)
        for term in title_terms:
            counts.setdefault(term, [0, 0])[0] += 1
        for term in text_terms:
            counts.setdefault(term, [0, 0])[1] += 1
        lengths[position] = len(title_terms) + len(text_terms)
        for term, (in_title, in_text) in counts.items():
            postings.setdefault(term, []).append((position, in_title, in_text))
    vectors = np.frombuffer(b"".join(r[3] for r in rows), dtype=DTYPE).reshape(-1, dimensions)
    graph = _graph(dimensions)
    graph.add(items.astype(np.uint64), vectors)
    segment = _new_segment(conn)
    _store(conn, segment, items, lengths, graph,
           ((term, np.array(p, dtype=np.int64)) for term, p in postings.items()))


def _new_segment(conn: sqlite3.Connection) -> int:
    (last,) = conn.execute("select coalesce(max(segment), 0) from search_segments").fetchone()
    return last + 1


def _store(conn, segment, items, lengths, graph, postings) -> None:
    """Write one segment: `postings` yields (term, array of (position, title count, text
    count) rows)."""
    conn.execute("insert into search_segments (segment, size, last, items, lengths, graph) "
                 "values (?, ?, ?, ?, ?, ?)",
                 [segment, len(items), int(items[-1]) if len(items) else 0, items.tobytes(),
                  lengths.tobytes(), bytes(graph.save())])
    conn.executemany(
        "insert into search_postings (term, segment, positions, title, text) values (?, ?, ?, ?, ?)",
        ((term, segment, p[:, 0].astype(np.int32).tobytes(), p[:, 1].astype(np.uint16).tobytes(),
          p[:, 2].astype(np.uint16).tobytes()) for term, p in postings))


def _merge(conn: sqlite3.Connection, dimensions: int) -> None:
    """Merge the newest two segments while the older is at most twice the newer."""
    while True:
        sizes = conn.execute("select segment, size from search_segments order by segment").fetchall()
        if len(sizes) < 2 or sizes[-2][1] > 2 * sizes[-1][1]:
            return
        _merge_two(conn, sizes[-2][0], sizes[-1][0], dimensions)


def _merge_two(conn: sqlite3.Connection, older: int, newer: int, dimensions: int) -> None:
    def load(segment):
        items, lengths, graph = conn.execute(
            "select items, lengths, graph from search_segments where segment = ?", [segment]).fetchone()
        return np.frombuffer(items, np.int64), np.frombuffer(lengths, np.uint32), graph

    old_items, old_lengths, blob = load(older)
    new_items, new_lengths, _ = load(newer)
    items = np.concatenate([old_items, new_items])
    live = np.isin(items, _live(conn, int(items.min()), int(items.max())))
    # Old position → merged position (or -1 for an item removed since).
    moved = np.where(live, np.cumsum(live) - 1, -1)
    graph = _restore(blob)
    dead = old_items[~live[:len(old_items)]]
    if len(dead):
        graph.remove(dead.astype(np.uint64))
    fresh = new_items[live[len(old_items):]]
    if len(fresh):
        vectors = _vectors(conn, fresh, dimensions)
        graph.add(fresh.astype(np.uint64), vectors)
    merged: dict[str, list[np.ndarray]] = {}
    for term, segment, positions, title, text in conn.execute(
            "select term, segment, positions, title, text from search_postings "
            "where segment in (?, ?) order by segment", [older, newer]):
        positions = np.frombuffer(positions, np.int32).astype(np.int64)
        if segment == newer:
            positions = positions + len(old_items)
        rows = np.stack([moved[positions], np.frombuffer(title, np.uint16),
                         np.frombuffer(text, np.uint16)], axis=1)
        merged.setdefault(term, []).append(rows[rows[:, 0] >= 0])
    conn.execute("delete from search_postings where segment in (?, ?)", [older, newer])
    conn.execute("delete from search_segments where segment in (?, ?)", [older, newer])
    _store(conn, older, items[live], np.concatenate([old_lengths, new_lengths])[live], graph,
           ((term, np.concatenate(parts)) for term, parts in merged.items()
            if sum(len(p) for p in parts)))


def _live(conn: sqlite3.Connection, low: int, high: int) -> np.ndarray:
    return np.fromiter((r[0] for r in conn.execute(
        "select item from items where item between ? and ?", [low, high])), np.int64)


def _vectors(conn: sqlite3.Connection, items: np.ndarray, dimensions: int) -> np.ndarray:
    """The stored float32 vectors of `items`, in that order."""
    found = _stored_vectors(conn, items.tolist())
    return np.frombuffer(b"".join(found[i] for i in items.tolist()),
                         dtype=DTYPE).reshape(-1, dimensions)


def _stored_vectors(conn: sqlite3.Connection, ids: list[int]) -> dict[int, bytes]:
    """Item rowid → its float32 vector's bytes, for those of `ids` still in `items`."""
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        found.update(conn.execute(
            "select items.item, embeddings.vector from items join embeddings on "
            "embeddings.kind = items.kind and embeddings.id = items.id "
            f"where items.item in ({', '.join('?' * len(chunk))})", chunk))
    return found


# -- reading ---------------------------------------------------------------------------
def _nbytes(found: list[tuple[int, np.ndarray, np.ndarray]]) -> int:
    """The memory a term's kept postings take (POSTINGS_CACHE_BYTES counts it)."""
    return sum(at.nbytes + factor.nbytes for _, at, factor in found)


@dataclass
class _Segment:
    segment: int
    items: np.ndarray      # item rowids, ascending
    lengths: np.ndarray    # tokens in title and text of each
    graph: object          # usearch Index over the segment's vectors, keyed by item rowid
    blob: bytes            # the stored graph the index is a view of (no second copy)
    norm: np.ndarray | None = None  # bm25's length normalisation of each item, once per file
    dead: np.ndarray | None = None  # positions of items removed since the segment was written


class StoredIndex:
    """The segments of one version of the database file, as the engine reads them."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self._cache: OrderedDict[tuple[str, float], tuple] = OrderedDict()
        self._cache_bytes = 0
        self._cache_lock = threading.Lock()
        self.segments = [
            _Segment(segment, np.frombuffer(items, np.int64), np.frombuffer(lengths, np.uint32),
                     _restore(graph, view=True), graph)
            for segment, items, lengths, graph in conn.execute(
                "select segment, items, lengths, graph from search_segments order by segment")]
        self._by_number = {s.segment: s for s in self.segments}
        self.documents = sum(len(s.items) for s in self.segments)
        total = sum(int(s.lengths.sum(dtype=np.int64)) for s in self.segments)
        average = total / self.documents if self.documents else 1.0
        for segment in self.segments:
            segment.norm = K1 * (1 - B + B * segment.lengths / average)
        self._find_dead()
        # The records' own vectors (every kind of item but the passages of documents: a
        # few hundred) are asked for by every query, the lessons closest by their parts
        # being scored whole: held here, they were a third of the float32 vectors a hybrid
        # query read at 100k items.
        records = [kind for kind in ITEM_KINDS if kind != "passage"]
        self._held = dict(conn.execute(
            "select items.item, embeddings.vector from items join embeddings on "
            "embeddings.kind = items.kind and embeddings.id = items.id "
            f"where items.kind in ({', '.join('?' * len(records))})", records))
        # Not read through a memory map (`pragma mmap_size`): that took a warm hybrid
        # query's own CPU time at 100k items from 7.6 to 6.6 ms, but every page it touched
        # stayed in the process's resident memory, 64 KB at a time (the kernel maps the
        # neighbours of a page faulted in): at a million items 1.9 GB after 200 queries,
        # against 0.96 GB without.

    def _find_dead(self) -> None:
        """Mark the items removed since their segment was written (a merge drops them), so
        that no query has to ask which of its hits still exist. Every item is in a segment
        (each writer indexes what it wrote), so when the counts agree none is dead: one
        count at load (30 ms at a million items, warm), and a full read only otherwise."""
        (live,) = self._conn.execute("select count(*) from items").fetchone()
        for segment in self.segments:
            segment.dead = np.empty(0, dtype=np.int64)
        if live == self.documents:
            return
        items = np.fromiter((r[0] for r in self._conn.execute("select item from items")), np.int64)
        for segment in self.segments:
            segment.dead = np.flatnonzero(~np.isin(segment.items, items))

    def frequencies(self) -> dict[str, int]:
        """How many items hold each term (items removed since the last merge included)."""
        return dict(self._conn.execute(
            "select term, sum(length(positions)) / 4 from search_postings group by term"))

    @staticmethod
    def present(conn: sqlite3.Connection) -> bool:
        return conn.execute("select 1 from search_segments limit 1").fetchone() is not None

    def keyword(self, terms: list[str], title_weight: float, depth: int,
                keep=None) -> list[tuple[int, float]]:
        """(item rowid, bm25 as FTS5 reports it: negative, lower is better), best first;
        `keep(items) -> bool array` applies the filters before ranking."""
        # Each query word is a phrase of the FTS5 query, so two words with one stem
        # ("meeting", "meetings") count twice there, and do here.
        phrases = tokens(" ".join(terms))
        stems = list(dict.fromkeys(phrases))
        if not stems or not self.documents:
            return []
        by_segment: dict[int, list[tuple[float, np.ndarray, np.ndarray]]] = {}
        for term, (hits, found) in self._postings(stems, title_weight).items():
            value = np.log((self.documents - hits + 0.5) / (hits + 0.5))
            weight = (value if value > 0 else 1e-6) * phrases.count(term)
            for segment, at, factor in found:
                by_segment.setdefault(segment, []).append((weight, at, factor))
        best: list[tuple[int, float]] = []
        for segment in self.segments:
            parts = by_segment.get(segment.segment)
            if not parts:
                continue
            scores = np.zeros(len(segment.items))
            for weight, at, factor in parts:
                scores[at] += weight * factor
            scores[segment.dead] = 0.0
            matched = self._matched(segment, scores, [at for _, at, _ in parts], depth, keep)
            if len(matched) > depth:
                matched = matched[np.argpartition(-scores[matched], depth - 1)[:depth]]
            best += [(int(segment.items[i]), -float(scores[i])) for i in matched]
        best.sort(key=lambda r: (r[1], r[0]))
        return best[:depth]

    def holding(self, word: str, title_weight: float) -> np.ndarray:
        """The rowids of the items that hold `word` (every term FTS5 would store for it),
        ascending, from the postings the keyword side reads and keeps (with its
        `title_weight`, so that they are read and kept once)."""
        stems = list(dict.fromkeys(tokens(word)))
        found = self._postings(stems, title_weight)
        if not stems or len(found) < len(stems):  # a term no item holds
            return np.empty(0, np.int64)
        holders = None
        for _, postings in found.values():
            items = np.concatenate([self._by_number[number].items[at]
                                    for number, at, _ in postings])
            holders = items if holders is None else np.intersect1d(holders, items)
        return np.sort(holders)

    @staticmethod
    def _matched(segment: _Segment, scores: np.ndarray, found: list[np.ndarray], depth: int,
                 keep) -> np.ndarray:
        """Positions of the segment's items that hold a query term and pass `keep`: with no
        filter, at least the best `depth` of them. Those are drawn from the terms' postings
        (an item holding k of the terms appears k times, so the best depth × terms entries
        hold the best depth items), not found by scanning every item's score: at 100k
        items that scan (`flatnonzero`) cost about 1 ms a query."""
        if keep is None:
            at = np.concatenate(found) if len(found) > 1 else found[0]
            wanted = depth * len(found)
            if len(at) > wanted:
                at = at[np.argpartition(-scores[at], wanted - 1)[:wanted]]
            matched = np.unique(at)
            return matched[scores[matched] > 0]  # not the removed ones
        matched = np.flatnonzero(scores)
        return matched[keep(segment.items[matched])]

    def _postings(self, stems: list[str], title_weight: float
                  ) -> dict[str, tuple[int, list[tuple[int, np.ndarray, np.ndarray]]]]:
        """Each stem's (items holding it, [(segment, positions, bm25 term-frequency factor)]),
        read from its rows once and then kept (up to POSTINGS_CACHE_BYTES): a term's
        factor, (k1 + 1) tf / (tf + k1 (1 - b + b len / avg len)), depends only on the file,
        so a query scores by one multiply-add per posting."""
        out, missing = {}, []
        with self._cache_lock:
            for term in stems:
                cached = self._cache.get((term, title_weight))
                if cached is None:
                    missing.append(term)
                else:
                    self._cache.move_to_end((term, title_weight))
                    out[term] = cached
        if not missing:
            return out
        read: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        sql = (f"select term, segment, positions, title, text from search_postings "
               f"where term in ({', '.join('?' * len(missing))})")
        for term, number, positions, title, text in self._conn.execute(sql, missing):
            segment = self._by_number.get(number)
            if segment is None:
                continue
            at = np.frombuffer(positions, np.int32)
            freq = title_weight * np.frombuffer(title, np.uint16) + np.frombuffer(text, np.uint16)
            read.setdefault(term, []).append((number, at, freq * (K1 + 1) / (freq + segment.norm[at])))
        for term, found in read.items():
            out[term] = (sum(len(at) for _, at, _ in found), found)
            self._hold((term, title_weight), out[term])
        return out

    def _hold(self, key: tuple[str, float], entry: tuple) -> None:
        """Keep a term's postings, dropping those used least recently beyond the cap (so a
        long-lived engine keeps the terms its users ask for, not the first ones asked)."""
        size = _nbytes(entry[1])
        if size > POSTINGS_CACHE_BYTES:
            return
        with self._cache_lock:
            if key in self._cache:
                return
            self._cache[key] = entry
            self._cache_bytes += size
            while self._cache_bytes > POSTINGS_CACHE_BYTES:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cache_bytes -= _nbytes(dropped)

    def nearest(self, vector: np.ndarray, count: int, keep=None) -> list[int]:
        """Item rowids of about the `count` nearest vectors (approximate), filtered by
        `keep` before they are counted (more are fetched while too few pass): each
        segment's nearest `count`, of which the `count` nearest by the graphs' int8
        distances are kept, so that the float32 vectors read do not grow with the number
        of segments."""
        keys, distances = [], []
        for segment in self.segments:
            size = len(segment.items)
            want = min(count, size)
            while want:
                matches = segment.graph.search(vector, want)
                found = np.asarray(matches.keys, dtype=np.int64)
                distance = np.asarray(matches.distances)
                if keep is not None:
                    allowed = keep(found)
                    found, distance = found[allowed], distance[allowed]
                if len(found) >= min(count, size) or want >= size:
                    break
                want = min(size, want * 4)
            if want:
                keys.append(found[:count])
                distances.append(distance[:count])
        if not keys:
            return []
        keys, distances = np.concatenate(keys), np.concatenate(distances)
        if len(keys) > count:
            keys = keys[np.argpartition(distances, count - 1)[:count]]
        return keys.tolist()

    def vectors(self, items: list[int], dimensions: int) -> tuple[np.ndarray, np.ndarray]:
        """(rowids that are still items, their float32 vectors) for `items`."""
        rowids = np.array(sorted(set(items)), dtype=np.int64)
        if not len(rowids):
            return rowids, np.empty((0, dimensions), np.float32)
        ids = rowids.tolist()
        found = {i: self._held[i] for i in ids if i in self._held}
        found.update(_stored_vectors(self._conn, [i for i in ids if i not in found]))
        rowids = np.array([i for i in ids if i in found], dtype=np.int64)
        return rowids, np.frombuffer(b"".join(found[i] for i in rowids.tolist()),
                                     dtype=DTYPE).reshape(-1, dimensions)
