"""Ranking quality on the public query sets (tests/queries/*.yaml).

Asserted: hybrid hit@3 ≥ 0.90 and MRR@10 ≥ 0.85 over every public question, and hybrid at
least as good as either mode alone. The case-records issue's bar was hit@3 ≥ 0.95; it was
met with 24 glossary phrases copied from these questions (issue 11). Without them, and with
the learned blend, hybrid measures hit@3 0.911, MRR@10 0.882 (bench/retrieval.py). The held-out
set in tests/queries/holdout/ is not asserted on: bench/retrieval.py reports it, so that
tuning to the public questions shows up as a gap between the two."""

from __future__ import annotations

import numpy as np
import pytest

from bench.evaluate import LAY_TUNE, hit_at, load_queries, mrr, query_files, score
from kb import relevance

QUERIES = query_files()


@pytest.fixture(scope="module")
def scores(engine):
    queries = load_queries(QUERIES)
    assert len(queries) >= 60
    return {mode: score(engine, queries, mode) for mode in ("hybrid", "semantic", "keyword")}


def test_every_answer_id_exists(built_db):
    import sqlite3

    with sqlite3.connect(built_db) as conn:
        ids = {r[0] for r in conn.execute("select id from items")}
    missing = {a for q in load_queries(QUERIES) for a in q.answers} - ids
    assert not missing


@pytest.mark.quality
def test_hybrid_meets_the_thresholds(scores):
    hybrid = scores["hybrid"]
    misses = [f"{s.rank}: {s.query.q}" for s in hybrid if not s.rank or s.rank > 3]
    assert hit_at(hybrid, 3) >= 0.90, misses
    assert mrr(hybrid) >= 0.85


@pytest.mark.quality
def test_hybrid_is_at_least_as_good_as_either_mode(scores):
    for mode in ("semantic", "keyword"):
        assert hit_at(scores["hybrid"], 3) >= hit_at(scores[mode], 3)
        assert mrr(scores["hybrid"]) >= mrr(scores[mode])


@pytest.mark.quality
def test_lay_tune_questions_rank_their_lesson_first(engine):
    """Hybrid hit@1 on the lay tune questions (tests/queries/lay/tune.yaml): 0.900 with the
    query adapter's cosines (kb/adapter.py), 0.876 without them but with the two word
    features (which of the query's words a record holds, and which of those its closest
    siblings lack: kb/relevance.py), 0.841 without those, with the keyword side relative to
    the query's best hit and the listwise blend; 0.822 with main's blend in
    cross-validation (bench/ranking.py)."""
    hybrid = score(engine, load_queries([LAY_TUNE]), "hybrid", depth=1)
    assert hit_at(hybrid, 1) >= 0.89


def _rowid(engine, id: str) -> int:
    (item,) = engine.conn.execute("select item from items where id = ?", [id]).fetchone()
    return item


def test_a_record_holds_the_words_the_index_holds_for_it(engine):
    """`holding` compares words as the keyword index stores them (Porter stems of title
    and text): "partners" and "commissioned" are held where "partner" and "commissioning"
    are, and a word inside another word ("art" in "partnership") is not."""
    item = _rowid(engine, "uc-vat-llp-unfunded")
    (text,) = engine.conn.execute("select lower(title || ' ' || text) from items where item = ?",
                                  [item]).fetchone()
    assert "partnership" in text and " art " not in f" {text} " and "vat" in text
    held = engine.holding(["vats", "partnerships", "art", "dentistry"],
                          np.array([item], dtype=np.int64))
    assert held.tolist() == [[True, True, False, False]]


def test_distinct_words_are_those_no_close_sibling_holds(engine):
    """Coverage is the share of the query's words a candidate holds; distinct, the share
    that none of the CONTRAST candidates closest in meaning (others than itself) holds. The
    VAT lesson alone holds "vat" beside a lesson that holds only "risk"; once the case, which
    holds both, is among the closest, neither word is the lesson's alone."""
    query = engine.prepare("vat risk", "hybrid")
    vat, risk, case = (_rowid(engine, id) for id in (
        "uc-vat-llp-unfunded", "uc-no-whole-view-of-risk", "uniting-care"))
    assert engine.holding(["vat", "risk"], np.array([vat, risk, case])).tolist() == \
        [[True, False], [False, True], [True, True]]
    coverage, distinct = engine._word_features(query, np.array([vat, risk]), np.array([0.9, 0.8]))
    assert coverage.tolist() == [0.5, 0.5] and distinct.tolist() == [0.5, 0.5]
    coverage, distinct = engine._word_features(query, np.array([vat, risk, case]),
                                               np.array([0.9, 0.8, 0.7]))
    assert coverage.tolist() == [0.5, 0.5, 1.0] and distinct.tolist() == [0.0, 0.0, 0.0]


def test_the_word_features_join_the_hybrid_score_alone(engine):
    """Hybrid's candidates carry their coverage and distinct shares and their cosines with
    the adapted query (kb/adapter.py), and are scored with all of them; semantic reads the
    adapted cosines but not the words, keyword neither."""
    query = engine.prepare("VAT risk of LLP", "hybrid")
    ranked = engine.rank(query, "hybrid", 50)
    first = ranked[0]
    assert first.coverage == pytest.approx(2 / 3)  # vat, llp; not risk
    assert first.adapted != pytest.approx(first.cosine)  # the adapter moved the query
    assert first.score == pytest.approx(relevance.relevance(
        "hybrid", first.cosine, first.keyword, first.part, first.coverage, first.distinct,
        first.adapted, first.adapted_part))
    semantic = engine.rank(query, "semantic", 50)
    assert all(r.coverage == r.distinct == 0.0 for r in semantic)
    assert semantic[0].score == pytest.approx(relevance.relevance(
        "semantic", semantic[0].cosine, 0.0, semantic[0].part, 0.0, 0.0, semantic[0].adapted,
        semantic[0].adapted_part))
    assert all(r.coverage == r.distinct == r.adapted == 0.0
               for r in engine.rank(query, "keyword", 50))


def test_hybrid_reads_bm25_relative_to_the_querys_best_keyword_hit():
    """x / (1 + x) of bm25 saturates (0.8–0.96 for most hits of a question); hybrid reads
    bm25 over the best hit's instead: the best reads 1, the order is kept."""
    keyword = {1: 0.9, 2: 0.8, 3: 0.5}
    relative = relevance.relative_to_best(keyword)
    assert relative[1] == 1.0 and relative[2] == pytest.approx(4 / 9) and \
        relative[3] == pytest.approx(1 / 9)
    assert relevance.relative_to_best({}) == {}


def test_hybrid_ranks_by_the_relative_keyword_score(engine):
    query = engine.prepare("VAT risk of LLP", "hybrid")
    ranked = engine.rank(query, "hybrid", 50)
    assert max(r.keyword for r in ranked) == 1.0
