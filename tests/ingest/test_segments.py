"""The stored search index of a large database (kb/segments.py): it ranks as FTS5 and the
exhaustive scan do, applies filters before ranking, and follows ingest (new passages found,
removed ones gone, rowids never reused). The threshold is lowered so that a few hundred
synthetic passages stand for a large archive."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from bench.evaluate import load_queries, query_files
from bench.synthetic import pad_with_passages
from kb import segments
from kb.search import MODES, Filters, SearchEngine


@pytest.fixture(scope="module")
def padded(built_db, tmp_path_factory):
    work = tmp_path_factory.mktemp("segments")
    saved = segments.MIN_ITEMS
    segments.MIN_ITEMS = 0
    try:
        return pad_with_passages(built_db, work / "padded.db", 700)
    finally:
        segments.MIN_ITEMS = saved


@pytest.fixture(scope="module")
def engines(padded, embedder):
    """The same file searched with its stored index, and with FTS5 and the exact scan."""
    stored = SearchEngine(padded, embedder=embedder)
    exact = SearchEngine(padded, embedder=embedder)
    exact._stored_present = False
    return stored, exact


def test_padding_wrote_segments_merged_as_a_binary_counter(padded):
    with sqlite3.connect(padded) as conn:
        sizes = [s for (s,) in conn.execute("select size from search_segments order by segment")]
        (items,) = conn.execute("select count(*) from items").fetchone()
    assert sum(sizes) == items and 1 <= len(sizes) <= 3


@pytest.mark.parametrize("mode", MODES)
def test_the_stored_index_ranks_as_fts5_and_the_exact_scan(engines, mode):
    """Keyword ranking is exact (FTS5's bm25 over stored postings); the vector side is an
    approximate graph, so there the first hit must agree and the top ten must hold at least
    98% of the exhaustive top ten (the issue's bar is 0.99 at 100k; one near neighbour
    missed in 25 questions is 0.996)."""
    stored, exact = engines
    assert stored.stored is not None and exact.stored is None
    questions = [q.q for q in load_queries(query_files())][:25]
    same = firsts = kept = total = 0
    for question in questions:
        ours = [(h.kind, h.id, round(h.score, 6)) for h in stored.search(question, mode=mode).hits]
        theirs = [(h.kind, h.id, round(h.score, 6)) for h in exact.search(question, mode=mode).hits]
        same += ours == theirs
        firsts += ours[:1] == theirs[:1]
        kept += len({hit[:2] for hit in ours[:10]} & {hit[:2] for hit in theirs[:10]})
        total += len(theirs[:10])
    if mode == "keyword":
        assert same == len(questions)
    else:
        assert firsts == len(questions) and kept / total >= 0.98


def test_the_stored_index_says_which_items_hold_a_word_as_fts5_does(engines):
    """Hybrid's word features (kb/search.py's `holding`) read the stored postings at scale
    and FTS5's doclists below it: the same items hold the same words, stems and all."""
    stored, exact = engines
    items = exact.index.rowids
    words = ["partners", "commissioned", "vat", "board", "art", "wombat"]
    held = stored.holding(words, items)
    assert (held == exact.holding(words, items)).all()
    assert held[:, :4].any(axis=0).all() and not held[:, 5].any()


def test_filters_apply_before_ranking(engines):
    stored, exact = engines
    filters = Filters.of(kind="lesson", case="dudley")
    for mode in MODES:
        hits = stored.search("GP support", mode=mode, limit=10, filters=filters).hits
        assert len(hits) == 10 and {(h.kind, h.case) for h in hits} == {("lesson", "dudley")}
        assert [h.id for h in hits] == [
            h.id for h in exact.search("GP support", mode=mode, limit=10, filters=filters).hits]


@pytest.mark.parametrize("kind", ["passage", "fact"])
@pytest.mark.parametrize("mode", MODES)
def test_a_filter_leaving_many_items_applies_before_ranking(engines, monkeypatch, mode, kind):
    """A filter that leaves more than EXACT_FILTERED items is searched in the graph, with
    the filter applied to each segment's neighbours before they are counted (and to the
    keyword postings before they are ranked): every hit is allowed, the graph gives as many
    as asked even when the allowed items lie far from the query, and they are the exhaustive
    ranking's (exact for keywords; first hit and 90% of the top ten for the graph)."""
    from kb import search

    stored, exact = engines
    filters = Filters.of(kind=kind)  # most of the items, or a seventh of them
    monkeypatch.setattr(search, "EXACT_FILTERED", len(stored._allowed_items(filters)) // 4)
    for question in ("GP support", "conflicts of interest on the governing body",
                     "VAT risk of LLP"):
        ours = stored.search(question, mode=mode, limit=10, filters=filters).hits
        theirs = exact.search(question, mode=mode, limit=10, filters=filters).hits
        assert ours and {h.kind for h in ours} == {kind}
        if mode == "keyword":  # only the items holding a word of the question
            assert [h.id for h in ours] == [h.id for h in theirs]
        else:
            assert len(ours) == 10 and ours[0].id == theirs[0].id
            assert len({h.id for h in ours} & {h.id for h in theirs}) >= 9


@pytest.mark.parametrize("cache_bytes", [segments.POSTINGS_CACHE_BYTES, 0])
def test_passages_removed_since_their_segment_never_crowd_out_the_hits(
        padded, embedder, tmp_path, monkeypatch, cache_bytes):
    """Removed passages stay in their segment's postings until a merge: the engine knows
    which (read once per file), so a word whose best passages were all removed still gets
    its full page of live ones, FTS5's. Dropping them after ranking (as before) gave an
    empty page once more than twice a page's depth had gone. The same ranking with the
    postings kept in memory and read afresh every time."""
    from ingest.ingester import Ingester

    monkeypatch.setattr(segments, "POSTINGS_CACHE_BYTES", cache_bytes)
    db = tmp_path / "lessons.db"
    shutil.copy(padded, db)
    strong, weak = tmp_path / "strong.md", tmp_path / "weak.md"
    strong.write_text("".join(f"# Board {n}\n\nThe wombat wombat wombat board met.\n\n"
                              for n in range(130)))
    weak.write_text("".join(f"# Meeting {n}\n\nA wombat was seen near the car park of the "
                            f"clinic on day {n} of the consultation.\n\n" for n in range(15)))
    data = tmp_path / "data"
    data.mkdir()
    ingester = Ingester(db, data, embedder=embedder)
    assert not ingester.ingest([strong, weak], case="dudley").failed
    assert not ingester.remove([strong]).failed
    ingester.close()
    stored, exact = (SearchEngine(db, embedder=embedder) for _ in range(2))
    exact._stored_present = False
    assert stored.stored is not None
    with sqlite3.connect(db) as conn:
        (indexed,) = conn.execute("select sum(size) from search_segments").fetchone()
        (items,) = conn.execute("select count(*) from items").fetchone()
    assert indexed >= items + 130  # the removed passages are still in a segment
    for _ in range(2):  # the second time from the postings kept in memory, if any
        ours = stored.search("wombat", mode="keyword", limit=10).hits
        theirs = exact.search("wombat", mode="keyword", limit=10).hits
        assert [h.id for h in ours] == [h.id for h in theirs] and len(ours) == 10
        assert all("car park" in h.text for h in ours)
    hybrid = stored.search("wombat board", mode="hybrid", limit=10).hits
    assert len(hybrid) == 10 and not any("wombat wombat" in h.text for h in hybrid)
    assert stored.stored._cache_bytes <= cache_bytes


def test_kept_postings_drop_the_least_recently_used_past_the_cap(padded, monkeypatch):
    def size(index, term):
        ((_, found),) = index._postings([term], 4.0).values()
        return sum(at.nbytes + factor.nbytes for _, at, factor in found)

    with sqlite3.connect(padded) as conn:
        sizes = {t: size(segments.StoredIndex(conn), t) for t in ("contract", "board", "care")}
        cap = max(sizes["contract"] + sizes["board"], sizes["contract"] + sizes["care"])
        assert cap < sum(sizes.values())
        monkeypatch.setattr(segments, "POSTINGS_CACHE_BYTES", cap)
        index = segments.StoredIndex(conn)
        for term in ("contract", "board", "contract", "care"):
            index._postings([term], 4.0)
        assert [term for term, _ in index._cache] == ["contract", "care"]
        assert index._cache_bytes == sizes["contract"] + sizes["care"] <= cap


@pytest.mark.slow
def test_the_model_loads_after_the_stored_index(padded):
    """A keyword search reads the stored index (usearch) before the model is loaded, as
    the TUI does while the model loads in the background; onnxruntime imported after
    usearch crashed the process (kb/segments.py's _usearch_index)."""
    script = ("import sys; from kb.search import open_engine; "
              "engine = open_engine(sys.argv[1]); "
              "assert engine.search('GP support', mode='keyword').hits; "
              "print(len(engine.search('GP support', mode='hybrid').hits))")
    done = subprocess.run([sys.executable, "-c", script, str(padded)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "10"


def test_ingest_adds_a_segment_and_removal_takes_passages_out(padded, embedder, tmp_path):
    from ingest.ingester import Ingester

    db = tmp_path / "lessons.db"
    shutil.copy(padded, db)
    document = tmp_path / "zanzibar.txt"
    document.write_text("The quokka procurement board met in Zanzibar to agree the contract.\n")
    data = tmp_path / "data"
    data.mkdir()
    ingester = Ingester(db, data, embedder=embedder)
    assert not ingester.ingest([document], case="dudley").failed
    engine = SearchEngine(db, embedder=embedder)
    for mode in MODES:
        assert engine.search("quokka Zanzibar", mode=mode).hits[0].kind == "passage"
    with sqlite3.connect(db) as conn:
        (before,) = conn.execute("select max(item) from items").fetchone()
    assert not ingester.remove([document]).failed
    engine.refresh()
    assert "zanzibar" not in " ".join(
        h.text.lower() for h in engine.search("quokka Zanzibar", mode="keyword").hits)
    document.write_text("A wombat steering group reviewed the quokka contract.\n")
    assert not ingester.ingest([document], case="dudley").failed
    ingester.close()
    with sqlite3.connect(db) as conn:
        (first_new,) = conn.execute("select min(item) from items where kind = 'passage' "
                                    "and text like '%wombat%'").fetchone()
    assert first_new > before  # a removed item's rowid is never given to a new one
    engine.refresh()
    assert "wombat" in engine.search("wombat quokka", mode="hybrid").hits[0].text.lower()


def test_a_failure_while_indexing_leaves_the_database_as_it_was(padded, embedder, tmp_path,
                                                                 monkeypatch):
    """The segment is written by the ingest's own transaction: if indexing fails, the
    document's rows go too, and the next ingest indexes it whole."""
    from ingest.ingester import Ingester

    db = tmp_path / "lessons.db"
    shutil.copy(padded, db)

    def counts():
        with sqlite3.connect(db) as conn:
            return [conn.execute(f"select count(*) from {t}").fetchone()[0]
                    for t in ("items", "passages", "search_segments", "search_postings")]

    before = counts()
    document = tmp_path / "platypus.txt"
    document.write_text("The platypus board agreed the integrated care contract.\n")
    data = tmp_path / "data"
    data.mkdir()

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(segments, "_write_segment", broken)
    ingester = Ingester(db, data, embedder=embedder)
    try:
        report = ingester.ingest([document], case="dudley")
    except OSError:
        report = None
    assert report is None or report.failed
    assert counts() == before
    monkeypatch.undo()
    assert not ingester.ingest([document], case="dudley").failed
    ingester.close()
    assert counts()[0] == before[0] + 1
    assert "platypus" in SearchEngine(db, embedder=embedder).search(
        "platypus", mode="keyword").hits[0].text.lower()
