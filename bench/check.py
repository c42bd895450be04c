"""Calibrating and measuring `kb check` on the labelled plans (tests/plans/).

    .venv/bin/python bench/check.py [--db PATH] [--misses] [--lopo] [--holdout [--write]]

Each plan is read with the ingest readers and its sentences embedded once. For every
scoring variant (signs averaged, keyword bonus weight, contrast; then the best without
negation cues, for comparison) the lessons' warning (w) and covered (c) matches are
computed, then the thresholds are searched on a grid (quantiles of the scores) over the
**tune** plans only: `applies`, `covered` and `margin` to maximise F1(red-flag+gap) +
F1(covered), then `red_flag` to maximise F1 of red flags alone, then the silent-gap rule
(the plan's stages and which of their lessons a silent plan misses: kb/check.py
`statuses`) on the same objective. It prints the chosen values and
precision/recall on the tune plans with their misses; `--misses` explains each missed red
flag or gap (its scores, stage, and each sign's nearest sentence), `--lopo` judges each tune
plan by thresholds searched on the other four. The held-out plans are read and reported
only with `--holdout`, once a design is frozen (their misses are never printed); `--write`
(which needs `--holdout`) rewrites kb/check_calibration.py with the chosen values and the
figures (rerun after changing the model file: one command).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.plans import read_plan  # noqa: E402
from kb import config  # noqa: E402
from kb.check import PlanChecker  # noqa: E402
from kb.check_calibration import CALIBRATION, Calibration  # noqa: E402
from bench.plan_evaluate import UNLABELLED, Counts, LabelledPlan, load_plans  # noqa: E402
from kb.search import open_engine  # noqa: E402

CALIBRATION_FILE = config.PROJECT_ROOT / "kb" / "check_calibration.py"
KEYWORD_WEIGHTS = (0.0, 0.05, 0.1)
TOP_SIGNS = (1, 2, 3)
CONTRASTS = (0.0, 0.5, 0.75, 1.0)
MARGINS = np.round(np.arange(-0.10, 0.101, 0.02), 2)
STAGE_SHARES = (0.5, 0.4, 0.3, 0.2, 0.1)
SILENT_OUTCOMES = (("went-wrong",), ("went-wrong", "guidance"), ("went-wrong", "guidance", "went-well"))


def _grid(values: np.ndarray, low: float, high: float, steps: int) -> np.ndarray:
    """Candidate thresholds: quantiles of the scores themselves, so that the grid fits
    whatever range a variant's scores take (the contrast lowers them all)."""
    return np.unique(np.round(np.quantile(values, np.linspace(low, high, steps)), 3))


def evaluate(checker: PlanChecker, plans: list[LabelledPlan], scores: dict,
             calibration: Calibration) -> tuple[Counts, Counts, Counts]:
    """Counts of red-flag+gap, covered and red flags over `plans` with `calibration`, from
    each plan's (w, c) per lesson (`scores`, by plan name), decided as the engine does."""
    flagged, covered, red = Counts(), Counts(), Counts()
    checker.calibration = calibration
    for plan in plans:
        status = {k: s for k, (s, _) in checker.statuses(scores[plan.name]).items()}
        labelled = set(plan.flagged | plan.covered)
        flagged.add(plan.name, {k for k, s in status.items() if s in ("red-flag", "gap")},
                    set(plan.flagged), labelled)
        covered.add(plan.name, {k for k, s in status.items() if s == "covered"},
                    set(plan.covered), labelled)
        red.add(plan.name, {k for k, s in status.items() if s == "red-flag"}, set(plan.red_flags),
                labelled)
    return flagged, covered, red


def search_silent(checker: PlanChecker, plans: list[LabelledPlan], scores: dict,
                  chosen: Calibration) -> Calibration:
    """The silent-gap rule (kb/check_calibration.py: plan_stages, silent_gap) that maximises
    F1(red-flag+gap) + F1(covered) on `plans` once the other thresholds are set; none at all
    unless it beats the plain sentence matching. Strictest first, so a tie keeps the list
    shorter."""
    def objective(calibration: Calibration) -> float:
        flagged, covered, _ = evaluate(checker, plans, scores, calibration)
        return flagged.f1 + covered.f1

    best = (objective(replace(chosen, silent_outcomes=())), replace(chosen, silent_outcomes=()))
    topics = np.array([s[2] for plan in plans for s in scores[plan.name].values()])
    floors = _grid(topics, 0.0, 0.98, 40)[::-1]
    for outcomes, later, share, floor in itertools.product(SILENT_OUTCOMES, (False, True),
                                                           STAGE_SHARES, floors):
        variant = replace(chosen, silent_outcomes=outcomes, stage_later=later,
                          stage_share=share, silent_floor=float(floor))
        value = objective(variant)
        if value > best[0] + 1e-9:
            best = (value, variant)
    return best[1]


def _arrays(checker: PlanChecker, plans: list[LabelledPlan], embedded: dict):
    w, c, wrong, flag, cov, red = [], [], [], [], [], []
    expected = {"flag": 0, "cov": 0, "red": 0}
    for plan in plans:
        scores = checker.scores(*embedded[plan.name])
        for lesson, (ws, cs, _) in scores.items():
            w.append(ws), c.append(cs)
            wrong.append(checker._lessons[lesson].outcome == "went-wrong")
            flag.append(lesson in plan.flagged), cov.append(lesson in plan.covered)
            red.append(lesson in plan.red_flags)
        expected["flag"] += len(plan.flagged)
        expected["cov"] += len(plan.covered)
        expected["red"] += len(plan.red_flags)
    return (np.array(w), np.array(c), np.array(wrong), np.array(flag), np.array(cov),
            np.array(red), expected)


def _f1(hits, predicted, expected):
    """F1 from arrays of hits and (weighted) predictions: see bench.plan_evaluate.UNLABELLED."""
    precision = np.where(predicted > 0, hits / np.maximum(predicted, 1e-9), 0.0)
    recall = hits / max(expected, 1)
    return np.where(precision + recall > 0, 2 * precision * recall /
                    np.maximum(precision + recall, 1e-9), 0.0)


def _weighted(predicted: np.ndarray, labelled: np.ndarray) -> np.ndarray:
    """Predictions as precision counts them: a lesson the labels leave out costs UNLABELLED."""
    return (predicted & labelled).sum(-1) + UNLABELLED * (predicted & ~labelled).sum(-1)


def search_thresholds(w, c, wrong, flag, cov, red, expected):
    """The best (objective, applies, warning, covered, margin, red_flag) on these arrays:
    the first four on F1(red-flag+gap) + F1(covered), then red_flag on F1(red flags)."""
    labelled = flag | cov
    best = (-1.0, None, None, None, None)
    top = np.maximum(w, c)
    listing = _grid(top, 0.5, 0.995, 36)
    COVERED = _grid(c, 0.3, 0.995, 50)
    RED_FLAGS = _grid(w, 0.0, 0.99, 50)
    for applies, warning in itertools.product(listing, listing):
        if warning > applies:  # then w >= warning implies max(w, c) >= applies
            continue
        listed = (top >= applies) | (w >= warning)
        for margin in MARGINS:
            is_cov = listed[None, :] & (c[None, :] >= COVERED[:, None]) & \
                (c + margin >= w)[None, :]                      # (len(COVERED), n)
            is_flag = listed[None, :] & ~is_cov
            objective = (_f1((is_flag & flag).sum(1), _weighted(is_flag, labelled),
                              expected["flag"])
                         + _f1((is_cov & cov).sum(1), _weighted(is_cov, labelled),
                               expected["cov"]))
            i = int(np.argmax(objective))
            if objective[i] > best[0] + 1e-9:
                best = (float(objective[i]), float(applies), float(warning), float(COVERED[i]),
                        float(margin))
    objective, applies, warning, covered, margin = best
    listed = (top >= applies) | (w >= warning)
    is_cov = listed & (c >= covered) & (c + margin >= w)
    candidates = listed & ~is_cov & wrong
    is_red = candidates[None, :] & (w[None, :] >= RED_FLAGS[:, None])
    red_f1 = _f1((is_red & red).sum(1), _weighted(is_red, labelled), expected["red"])
    red_flag = float(RED_FLAGS[int(np.argmax(red_f1))])
    return objective, dict(applies=applies, warning=warning, covered=covered, margin=margin,
                           red_flag=red_flag)


def calibrate(checker: PlanChecker, plans: list[LabelledPlan], embedded: dict,
              variants: list[Calibration], quiet: bool = False) -> Calibration:
    """Every threshold on `plans`: the best scoring variant with its thresholds, then the
    silent-gap rule on its scores."""
    best = None
    for variant in variants:
        checker.calibration = variant
        objective, thresholds = search_thresholds(*_arrays(checker, plans, embedded))
        if not quiet:
            print(f"  top {variant.top_signs} signs, keyword weight {variant.keyword_weight:.2f}, "
                  f"contrast {variant.contrast:.2f}: objective {objective:.3f}")
        if best is None or objective > best[0] + 1e-9:
            best = (objective, replace(variant, **thresholds))
    chosen = best[1]
    checker.calibration = chosen
    scores = {p.name: checker.scores(*embedded[p.name]) for p in plans}
    return search_silent(checker, plans, scores, chosen)


def variants() -> list[Calibration]:
    """The scoring variants searched: signs averaged, keyword bonus weight, contrast."""
    return [replace(CALIBRATION, keyword_weight=weight, top_signs=top, contrast=contrast,
                    negation=True)
            for top, weight, contrast in itertools.product(TOP_SIGNS, KEYWORD_WEIGHTS, CONTRASTS)]


def leave_one_plan_out(checker: PlanChecker, plans: list[LabelledPlan], embedded: dict,
                       chosen: Calibration) -> tuple[Counts, Counts, Counts]:
    """Each tune plan judged by thresholds and a silent-gap rule searched on the others
    (the scoring variant is the one chosen on all of them, to keep this quick)."""
    totals = (Counts(), Counts(), Counts())
    for left in plans:
        rest = [p for p in plans if p is not left]
        fold = calibrate(checker, rest, embedded, [chosen], quiet=True)
        checker.calibration = fold
        scores = {left.name: checker.scores(*embedded[left.name])}
        for total, part in zip(totals, evaluate(checker, [left], scores, fold)):
            total.extend(part)
    return totals


def explain_misses(checker: PlanChecker, plans: list[LabelledPlan], embedded: dict,
                   calibration: Calibration) -> None:
    """Each missed red flag or gap of the tune plans with what decided it: its warning (w),
    covered (c) and topic scores, the status given, its stage against the plan's stages, and
    the best raw match of each of its signs (a `declined` sentence turns a covered sign
    into a warning)."""
    checker.calibration = calibration
    signs = checker._signs
    for plan in plans:
        sentences, vectors = embedded[plan.name]
        scores = checker.scores(sentences, vectors)
        statuses = checker.statuses(scores)
        stages = calibration.plan_stages(
            [checker._lessons[k].stage for k, (_, silent) in statuses.items() if not silent])
        raw = signs.matrix @ vectors.T
        for lesson in sorted(plan.flagged):
            want = "red-flag" if lesson in plan.red_flags else "gap"
            got = statuses.get(lesson, ("not listed", False))[0]
            if got in ("red-flag", "gap"):
                continue
            info = checker._lessons[lesson]
            w, c, topic = scores[lesson]
            print(f"    {plan.name}: {lesson} ({info.outcome}, {info.stage}"
                  f"{'' if info.stage in stages else ', not a stage of the plan'}): "
                  f"labelled {want}, {got}; w {w:.3f} c {c:.3f} topic {topic:.3f}")
            for row in checker._sign_rows[lesson]:
                u = int(raw[row].argmax())
                print(f"      {signs.kinds[row]} {raw[row, u]:.3f}"
                      f"{' declined' if sentences.negated[u] else ''}: "
                      f"{sentences.texts[u][:100]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=config.default_db())
    parser.add_argument("--write", action="store_true",
                        help="rewrite kb/check_calibration.py with the chosen values")
    parser.add_argument("--holdout", action="store_true",
                        help="also report the held-out plans (only once the design is frozen)")
    parser.add_argument("--misses", action="store_true",
                        help="explain each missed red flag or gap of the tune plans")
    parser.add_argument("--lopo", action="store_true",
                        help="leave-one-plan-out on the tune plans, to check the choice")
    args = parser.parse_args()
    if args.write and not args.holdout:
        parser.error("--write records the held-out figures too: add --holdout")
    plans = load_plans()
    tune = [p for p in plans if p.split == "tune"]
    holdout = [p for p in plans if p.split == "holdout"]
    print(f"{len(plans)} labelled plans: {len(tune)} tune, {len(holdout)} held out")
    checker = PlanChecker(open_engine(args.db))
    started = time.perf_counter()
    embedded = {p.name: checker.embed(read_plan(p.path, max_bytes=10**8))
                for p in tune + (holdout if args.holdout else [])}
    print(f"read and embedded the plans in {time.perf_counter() - started:.1f} s")

    chosen = calibrate(checker, tune, embedded, variants())
    checker.calibration = replace(chosen, negation=False)
    objective, _ = search_thresholds(*_arrays(checker, tune, embedded))
    print(f"  the same without the negation cues: tune objective {objective:.3f}")
    checker.calibration = chosen
    scores = {name: checker.scores(*pair) for name, pair in embedded.items()}
    before = evaluate(checker, tune, scores, replace(chosen, silent_outcomes=()))
    after = evaluate(checker, tune, scores, chosen)
    print(f"  silent gaps: tune objective {before[0].f1 + before[1].f1:.3f} without, "
          f"{after[0].f1 + after[1].f1:.3f} with")
    print(f"\nchosen: {chosen}")
    report = []
    for name, subset in (("tune", tune), ("held-out", holdout if args.holdout else [])):
        if not subset:
            continue
        flagged, covered, red = evaluate(checker, subset, scores, chosen)
        lines = [f"{name} ({len(subset)} plans): red-flag+gap {flagged}; covered {covered}; "
                 f"red flags alone {red}"]
        report += lines
        print(*lines, sep="\n")
        if name == "tune":  # held-out misses are not printed: nobody is to tune on them
            print("  missed red-flag+gap:", *flagged.misses, sep="\n    ")
            print("  missed covered:", *covered.misses, sep="\n    ")
    if args.misses:
        print("  why each red flag or gap was missed:")
        explain_misses(checker, tune, embedded, chosen)
    if args.lopo:
        flagged, covered, red = leave_one_plan_out(checker, tune, embedded, chosen)
        lines = [f"leave one tune plan out: red-flag+gap {flagged}; covered {covered}; "
                 f"red flags alone {red}"]
        report += lines
        print(*lines, sep="\n")
    if args.write:
        write(chosen, report)
        print(f"\nwrote {CALIBRATION_FILE.relative_to(config.PROJECT_ROOT)}")


def write(chosen: Calibration, report: list[str]) -> None:
    text = CALIBRATION_FILE.read_text()
    head, _, _ = text.partition('"""\n\nfrom __future__')
    figures = "\n".join(f"- {line}" for line in report)
    docstring = ('"""Thresholds and weights of `kb check` (kb/check.py), in one place.\n\n'
                 "Calibrated by `.venv/bin/python bench/check.py --holdout --write` on the labelled tune "
                 "plans\n(tests/plans/, split: tune), with the model the database was built "
                 "with; held-out\nplans reported, never tuned on. Precision counts a listed "
                 "lesson the labels\nleave out as half a false positive (bench/plan_evaluate.py). "
                 "Measured at calibration:\n\n"
                 f"{figures}\n")
    body = text[len(head):]
    start = body.index("CALIBRATION = ")
    body = body[:start] + f"CALIBRATION = {chosen!r}\n"
    CALIBRATION_FILE.write_text(docstring + body)


if __name__ == "__main__":
    main()
