"""Ranking quality on the public query sets (tests/queries/*.yaml).

Asserted: hybrid hit@3 ≥ 0.90 and MRR@10 ≥ 0.85 over every public question, and hybrid at
least as good as either mode alone. The case-records issue's bar was hit@3 ≥ 0.95; it was
met with 24 glossary phrases copied from these questions (issue 11). Without them, and with
the learned blend, hybrid measures hit@3 0.911, MRR@10 0.882 (bench/retrieval.py). The held-out
set in tests/queries/holdout/ is not asserted on: bench/retrieval.py reports it, so that
tuning to the public questions shows up as a gap between the two."""

from __future__ import annotations

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
    """Hybrid hit@1 on the lay tune questions (tests/queries/lay/tune.yaml): 0.841 with the
    keyword side relative to the query's best hit and the listwise blend (kb/relevance.py;
    0.851 before the records' 119 newer everyday questions), 0.822 with main's blend in
    cross-validation (bench/ranking.py)."""
    hybrid = score(engine, load_queries([LAY_TUNE]), "hybrid", depth=1)
    assert hit_at(hybrid, 1) >= 0.83


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
