"""Retrieval quality against a query set: hit@k and mean reciprocal rank.

A query set is YAML: a list of {q: question, answers: [record ids], style: plain|…}.
The test suite asserts thresholds on it; bench/retrieval.py prints the same figures per
mode and per style, which is how ranking changes are judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from ruamel.yaml import YAML

from kb import config
from kb.search import SearchEngine

# The public query sets (asserted on by the tests) and, in holdout/, the held-out one.
QUERY_DIR = config.PROJECT_ROOT / "tests" / "queries"
HOLDOUT_DIR = QUERY_DIR / "holdout"
# Lay questions for tuning (written from the lesson titles, without sight of the held-out
# lay questions): tuned on with the public sets, never asserted on as a held-out figure.
LAY_TUNE = QUERY_DIR / "lay" / "tune.yaml"


@dataclass(frozen=True)
class Question:
    q: str
    answers: frozenset[str]
    style: str = "plain"


@dataclass
class Score:
    query: Question
    rank: int | None  # rank of the first correct answer within the depth, else None


def query_files(folder: Path = QUERY_DIR) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def load_queries(paths: list[Path]) -> list[Question]:
    queries = []
    for path in paths:
        for entry in YAML(typ="safe", pure=True).load(Path(path).read_text()):
            queries.append(Question(q=entry["q"], answers=frozenset(entry["answers"]),
                                 style=entry.get("style", "plain")))
    return queries


def score(engine: SearchEngine, queries: list[Question], mode: str, depth: int = 10) -> list[Score]:
    out = []
    for query in queries:
        hits = engine.search(query.q, mode=mode, limit=depth).hits
        rank = next((h.rank for h in hits if h.id in query.answers), None)
        out.append(Score(query, rank))
    return out


def hit_at(scores: list[Score], k: int) -> float:
    return mean(1.0 if s.rank is not None and s.rank <= k else 0.0 for s in scores)


def mrr(scores: list[Score]) -> float:
    return mean(1.0 / s.rank if s.rank else 0.0 for s in scores)
