"""One relevance scale for every mode, its bands, and when a query counts as answered.

Each mode scores a hit from what it measured: keyword from the hit's bm25 (as x / (1 + x)
of -bm25, in 0–1), semantic from its cosine with the query, hybrid from both. A logistic
curve per mode, fitted on the public query sets (is this hit a listed answer?), turns that
into one number on one scale: roughly the chance that the hit answers the question. Hybrid
ranks by its curve too, which is a convex blend of the two normalised scores with a weight
learned on the public questions. The bands read that number.

A query is answered when its best hit lies on the right side of a boundary in (the hit's
cosine with the query, the share of the query's words, weighted by idf, that the hit
holds): fitted on the tune sets (public in-scope questions and
tests/queries/out-of-scope/tune.yaml), then shifted so that at most 5% of tune in-scope
questions are flagged. The issue's target is ≥ 90% of out-of-scope questions flagged at
that rate; the figures below say how far this gets.

Everything below is written by `bench/calibrate.py --write` (re-run it after a change of
model or data); it prints the tune and held-out figures quoted here.
"""

from __future__ import annotations

import math

# -- calibrated: bench/calibrate.py --write ----------------------------------------------
# (intercept, weight on cosine, weight on keyword score) per mode
CURVES: dict[str, tuple[float, float, float]] = {'hybrid': (-21.298, 7.34, 17.127), 'semantic': (-10.503, 13.143, 0.0), 'keyword': (-26.455, 0.0, 26.901)}
# (intercept, weight on the best hit's cosine, weight on its coverage of the query)
ANSWERED: dict[str, tuple[float, float, float]] = {'hybrid': (-1.619, 1.595, 5.858), 'semantic': (-1.077, 2.643, 4.098), 'keyword': (-1.944, 0.0, 7.34)}
# -- end calibrated ------------------------------------------------------------------------

NOT_ANSWERED = "Nothing in the knowledge base answers this closely. Nearest records:"
STRONG = 0.5  # more likely than not an answer
FAIR = 0.2
BANDS = ("strong", "fair", "weak")


def relevance(mode: str, cosine: float, keyword: float) -> float:
    intercept, w_cosine, w_keyword = CURVES[mode]
    z = intercept + w_cosine * cosine + w_keyword * keyword
    return 1.0 / (1.0 + math.exp(-z))


def band(score: float) -> str:
    return "strong" if score >= STRONG else "fair" if score >= FAIR else "weak"


def answered(mode: str, cosine: float, coverage: float) -> bool:
    """Whether the best hit answers the query closely: by its cosine with the query and
    the share of the query's words (weighted by idf) it holds."""
    intercept, w_cosine, w_coverage = ANSWERED[mode]
    return intercept + w_cosine * cosine + w_coverage * coverage >= 0
