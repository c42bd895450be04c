"""Calibrate the relevance scale, the hybrid blend and the "answered" decision (kb/relevance.py).

    .venv/bin/python bench/calibrate.py [--db PATH] [--write] [--held-out]

Tune data: the public in-scope query sets (tests/queries/*.yaml), the lay tune questions
(tests/queries/lay/tune.yaml) and tests/queries/out-of-scope/tune.yaml. Held out:
tests/queries/holdout/*.yaml and tests/queries/out-of-scope/holdout*.yaml, read and printed
only with --held-out, once a design is frozen. Per mode it fits
  1. the blend of the mode's scores (cosine, keyword score, closest lesson part's cosine,
     the same two cosines with the query moved by the adapter (kb/adapter.py), and in
     hybrid the two word features, coverage and distinct; semantic has no keyword score,
     keyword only that). Hybrid: linear weights fitted
     listwise (bench/ranking.py's `listwise`) on the public questions, the lay tune
     questions and the pseudo-queries (each curated question for its own lesson, left out
     of the index, and scored with an adapter fitted without them: bench/pseudo.py), each
     set weighing the same; semantic: convex weights on its four cosines by the mean MRR@10
     of the public and the lay tune questions, on a grid of step 0.05;
  2. a logistic curve from the mode's score to "this hit is a listed answer", over the
     first ten hits of each public question (the one relevance scale), and the bands on
     it: strong where at least half the hits scoring as much are listed answers, fair
     where at least a quarter are (hybrid's hits; the scale means the same in every mode);
  3. the answered decision: a logistic boundary on the signals of kb.relevance.Signals
     (keyword mode: only those it has without the model), fitted on the tune questions,
     in-scope (public and lay) against out-of-scope, then shifted so that at most 5% of
     the public and at most 5% of the lay tune questions are flagged. Before it, the same fit is cross-validated on the
     tune questions (five folds, stratified, twenty shuffles; each fold's boundary shifted on
     its own training part), which is the estimate to choose by;
then prints the chosen values and the tune rates. With --write it rewrites the calibrated
block of kb/relevance.py. Re-run it after any change of model or data: it is the one
command that recalibrates.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb import config, relevance  # noqa: E402
from bench.evaluate import HOLDOUT_DIR, LAY_TUNE, QUERY_DIR, load_queries, query_files  # noqa: E402
from bench.pseudo import pseudo_queries  # noqa: E402
from bench.ranking import DEPTH as PSEUDO_DEPTH, listwise  # noqa: E402
from kb.search import MODES, Ranked, open_engine  # noqa: E402

OUT_OF_SCOPE = QUERY_DIR / "out-of-scope"
MAX_IN_SCOPE_FLAGGED = 0.05
DEPTH = 300
SHOWN = 10
# A strong match: of public hits scoring at least this, half or more are listed answers;
# a fair one: a quarter or more (the base rate of the first ten hits is about one in seven).
BAND_PRECISION = (0.5, 0.25)
# The signals each mode's decision reads (kb.relevance.Signals' fields, by position):
# keyword search runs before the model is loaded, so it has neither cosine.
SIGNALS = {"hybrid": [0, 1, 2, 3, 4], "semantic": [0, 1, 2, 3, 4], "keyword": [1, 4]}
FOLDS, SHUFFLES = 5, 20
IN_SCOPE_TUNE = ("public", "lay tune")
# What a candidate is scored from (kb.search.Ranked's fields, in kb.relevance.CURVES' order).
FEATURES = ("cosine", "keyword", "part", "coverage", "distinct", "adapted", "adapted_part")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=config.default_db())
    parser.add_argument("--write", action="store_true", help="rewrite kb/relevance.py's constants")
    parser.add_argument("--held-out", action="store_true",
                        help="also print the held-out figures (only once the design is frozen)")
    args = parser.parse_args()
    engine = open_engine(args.db)
    sets = {"public": load_queries(query_files()),
            "lay tune": load_queries([LAY_TUNE]),
            "out-of-scope tune": load_queries([OUT_OF_SCOPE / "tune.yaml"])}
    if args.held_out:
        sets.update({f"{path.stem} (held out)": load_queries([path])
                     for path in query_files(HOLDOUT_DIR)})
        sets.update({f"out-of-scope {path.stem}": load_queries([path])
                     for path in sorted(OUT_OF_SCOPE.glob("holdout*.yaml"))})
    curves, answered, no_anchors = {}, {}, {}
    for mode in MODES:
        print(f"\n== {mode} ==", flush=True)
        data = {name: [_candidates(engine, q, mode) for q in queries]
                for name, queries in sets.items()}
        if mode == "hybrid":
            data["pseudo"] = [_candidates(engine, q, mode, PSEUDO_DEPTH)
                              for q in pseudo_queries(engine)]
            fitted = ("public", "lay tune", "pseudo")
            rows = [rows for name in fitted for _, rows in data[name]]
            width = len(FEATURES)
            weight = tuple(listwise([np.array([c[1:1 + width] for c in r]).reshape(-1, width)
                                     for r in rows],
                                    [np.array([c[0] for c in r], dtype=bool) for r in rows],
                                    [name for name in fitted for _ in data[name]]))
        else:
            # Both voices weigh the same, as in hybrid's fit: chosen on the public questions
            # alone, the grid cross-validated (five folds, five shuffles) at hit@1 0.732
            # public and 0.796 lay tune; on both, 0.742 and 0.839.
            weight = max(_grid(mode), key=lambda w: np.mean([_mrr(data[name], w)
                                                            for name in IN_SCOPE_TUNE]))
        print(f"blend weights ({', '.join(FEATURES)}): {_rounded(*weight)}")
        for name in data:
            if "out-of-scope" not in name:
                print(f"  {name:24} hit@1 {_mrr(data[name], weight, 1):.3f}  "
                      f"MRR@10 {_mrr(data[name], weight):.3f}")
        # Fitted on what a user sees: each public question's first ten hits.
        shown = [c for _, rows in data["public"] for c in
                 sorted(rows, key=lambda c: -_blend(c, weight))[:SHOWN]]
        intercept, slope = _logistic(np.array([[_blend(c, weight)] for c in shown]),
                                     np.array([c[0] for c in shown]))
        curves[mode] = _rounded(intercept, *(slope * w for w in weight))
        print(f"relevance curve (intercept, {', '.join(FEATURES)}): {curves[mode]}")
        if mode == "hybrid":  # the default mode sets the bands for the one scale
            scores = np.array([intercept + slope * _blend(c, weight) for c in shown])
            scores = 1 / (1 + np.exp(-scores))
            labels = np.array([c[0] for c in shown])
            bands = _rounded(_precision_at_least(scores, labels, BAND_PRECISION[0]),
                             _precision_at_least(scores, labels, BAND_PRECISION[1]))
            print(f"bands (strong, fair) at precision {BAND_PRECISION}: {bands}")
        features = {name: np.array([_signals(engine, mode, q, rows, weight)
                                    for q, rows in data[name]]) for name in sets}
        columns = SIGNALS[mode]
        tune = (*IN_SCOPE_TUNE, "out-of-scope tune")
        tune_x = np.vstack([features[name] for name in tune])
        tune_y = np.r_[np.ones(sum(len(sets[name]) for name in IN_SCOPE_TUNE)),
                       np.zeros(len(sets["out-of-scope tune"]))]
        group = np.concatenate([np.full(len(sets[name]), n) for n, name in enumerate(tune)])
        in_cv, out_cv = _cross_validated(tune_x[:, columns], tune_y, group)
        print(f"cross-validated on the tune questions: in-scope flagged {in_cv * 100:.1f}%, "
              f"out-of-scope flagged {out_cv * 100:.1f}%")
        weights, b0 = _boundary(tune_x[:, columns], tune_y, group)
        coefficients = [0.0] * len(relevance.Signals._fields)
        for column, value in zip(columns, weights):
            coefficients[column] = value
        answered[mode] = _rounded(b0, *coefficients)
        print(f"answered boundary (intercept, {', '.join(relevance.Signals._fields)}): "
              f"{answered[mode]}")
        no_anchors[mode] = _no_anchors(tune_x, tune_y, group, answered[mode])
        print(f"  without anchors, read the best anchor cosine as {no_anchors[mode]}")
        for name, x in features.items():
            flagged = np.mean(x @ np.array(answered[mode][1:]) + answered[mode][0] < 0)
            kind = "out-of-scope flagged" if "out-of-scope" in name else "in-scope wrongly flagged"
            print(f"  {name:24} {kind:26} {flagged * 100:5.1f}%  (n={len(x)})")
    if args.write:
        _write(curves, answered, no_anchors, bands)


def _candidates(engine, query, mode, depth: int = DEPTH):
    """The parsed query, and (is an answer, *FEATURES, Ranked) of every candidate the mode
    ranks."""
    parsed = engine.prepare(query.q, mode)
    rows = engine.rank(parsed, mode, depth)
    ids = dict(engine.conn.execute(
        f"select item, id from items where item in ({', '.join('?' * len(rows))})",
        [r.item for r in rows])) if rows else {}
    return parsed, [(ids[r.item] in query.answers, *(getattr(r, f) for f in FEATURES), r)
                    for r in rows]


def _signals(engine, mode, parsed, rows, weight) -> list[float]:
    """As SearchEngine reads them (answer_signals), over the candidates ranked by this blend."""
    if not rows:
        return [0.0] * len(relevance.Signals._fields)
    ranked: list[Ranked] = [c[-1] for c in sorted(rows, key=lambda c: -_blend(c, weight))]
    return [float(v) for v in engine.answer_signals(parsed, mode, ranked)]


def _boundary(x: np.ndarray, y: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, float]:
    """The logistic boundary between in-scope (1) and out-of-scope (0) questions, shifted
    so that at most MAX_IN_SCOPE_FLAGGED of each in-scope set (`group`: public, lay) falls
    below it, so that neither voice pays for the other: it sits midway between the last
    one allowed below it and the next, so that rounding the constants cannot carry one
    more across."""
    b0, *w = _logistic(x, y)
    cuts = []
    for g in np.unique(group[y == 1]):
        margins = np.sort(x[(y == 1) & (group == g)] @ np.array(w) + b0)
        allowed = int(MAX_IN_SCOPE_FLAGGED * len(margins))
        cuts.append(float((margins[allowed - 1] + margins[allowed]) / 2 if allowed
                          else margins[0] - 1e-3))
    return np.array(w), b0 - min(cuts)


def _no_anchors(x: np.ndarray, y: np.ndarray, group: np.ndarray, boundary) -> float:
    """For a database built without data/elsewhere.yaml: the highest best-anchor cosine
    that, read for every question, still flags at most MAX_IN_SCOPE_FLAGGED of each
    in-scope tune set (the other signals as calibrated; 0 where the mode reads none)."""
    intercept, *weights = boundary
    at = relevance.Signals._fields.index("elsewhere")
    if not weights[at]:
        return 0.0
    rest = np.array(weights)
    rest[at] = 0.0
    cuts = []
    for g in np.unique(group[y == 1]):
        # flagged when rest + weight * value < 0, the weight being negative
        values = np.sort((x[(y == 1) & (group == g)] @ rest + intercept) / -weights[at])
        allowed = int(MAX_IN_SCOPE_FLAGGED * len(values))
        cuts.append(float((values[allowed - 1] + values[allowed]) / 2 if allowed
                          else values[0] - 1e-3))
    return round(min(cuts), 3)


def _cross_validated(x: np.ndarray, y: np.ndarray, group: np.ndarray) -> tuple[float, float]:
    """Mean shares of in-scope and of out-of-scope questions flagged on held-back folds
    (each set split into the folds on its own)."""
    rng = np.random.default_rng(0)
    inside, outside = [], []
    for _ in range(SHUFFLES):
        fold = np.empty(len(y), dtype=int)
        for g in np.unique(group):
            members = rng.permutation(np.flatnonzero(group == g))
            fold[members] = np.arange(len(members)) % FOLDS
        flagged = np.empty(len(y), dtype=bool)
        for k in range(FOLDS):
            train = fold != k
            w, b = _boundary(x[train], y[train], group[train])
            flagged[fold == k] = x[fold == k] @ w + b < 0
        inside.append(flagged[y == 1].mean())
        outside.append(flagged[y == 0].mean())
    return float(np.mean(inside)), float(np.mean(outside))


def _precision_at_least(scores, labels, precision: float) -> float:
    """The lowest score above which at least `precision` of the hits are listed answers."""
    order = np.argsort(-scores)
    running = np.cumsum(labels[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(running >= precision)
    return float(scores[order][good[-1]]) if len(good) else 1.0


def _rounded(*values) -> tuple[float, ...]:
    return tuple(round(float(v), 3) for v in values)


def _grid(mode: str) -> list[tuple[float, ...]]:
    """Convex weights on FEATURES that the mode may use: the four cosines (the item's and its
    closest part's, as the model gives the query and as the adapter moves it) for semantic,
    keyword alone for keyword (hybrid's are fitted listwise instead)."""
    steps = np.round(np.linspace(0, 1, 21), 2)
    if mode == "keyword":
        return [(0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)]
    return [(float(a), 0.0, float(b), 0.0, 0.0, float(c), float(round(1 - a - b - c, 2)))
            for a in steps for b in steps for c in steps if a + b + c <= 1 + 1e-9]


def _blend(candidate, weight) -> float:
    return sum(w * x for w, x in zip(weight, candidate[1:1 + len(FEATURES)]))


def _mrr(data, weight, depth: int = 10) -> float:
    """MRR at `depth` of the blend (at depth 1: hit@1)."""
    total = 0.0
    for _, rows in data:
        order = sorted(rows, key=lambda c: -_blend(c, weight))[:depth]
        total += next((1 / n for n, c in enumerate(order, 1) if c[0]), 0.0)
    return total / len(data)


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=10.0, max_iter=1000).fit(x, y)
    return (float(model.intercept_[0]), *map(float, model.coef_[0]))


def _write(curves, answered, no_anchors, bands) -> None:
    path = Path(relevance.__file__)
    text = path.read_text()
    block = ("# -- calibrated: bench/calibrate.py --write " + "-" * 46 + "\n"
             "# (intercept, weight on cosine, on keyword score, on closest part, on coverage, on\n"
             "# distinct, on adapted cosine, on adapted closest part) per mode\n"
             f"CURVES: dict[str, tuple[float, ...]] = {curves!r}\n"
             "# (intercept, weight on each of Signals: best cosine, top hits' coverage of the\n"
             "# query, best lesson part's cosine, best out-of-scope topic's cosine, unknown name)\n"
             f"ANSWERED: dict[str, tuple[float, ...]] = {answered!r}\n"
             "# the best out-of-scope topic's cosine read where a database has no anchors\n"
             f"NO_ANCHORS: dict[str, float] = {no_anchors!r}\n"
             "# the lowest scores of a strong and of a fair match\n"
             f"STRONG, FAIR = {bands[0]!r}, {bands[1]!r}\n"
             "# -- end calibrated " + "-" * 72)
    text = re.sub(r"# -- calibrated:.*?# -- end calibrated -+", block, text, flags=re.S)
    path.write_text(text)
    print(f"\nwrote the calibrated constants to {path}")


if __name__ == "__main__":
    main()
