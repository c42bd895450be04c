"""Thresholds and weights of `kb check` (kb/check.py), in one place.

Calibrated by `.venv/bin/python bench/check.py --holdout --write` on the labelled tune plans
(tests/plans/, split: tune), with the model the database was built with; held-out
plans reported, never tuned on. Precision counts a listed lesson the labels
leave out as half a false positive (bench/plan_evaluate.py). Measured at calibration:

- tune (5 plans): red-flag+gap precision 0.57 (labelled only 0.88: 15/17; 19 unlabelled), recall 0.75 (15/20); covered precision 0.85 (labelled only 1.00: 35/35; 12 unlabelled), recall 0.69 (35/51); red flags alone precision 0.57 (labelled only 0.80: 4/5; 4 unlabelled), recall 0.57 (4/7)
- held-out (5 plans): red-flag+gap precision 0.54 (labelled only 0.92: 11/12; 17 unlabelled), recall 0.39 (11/28); covered precision 0.68 (labelled only 0.94: 30/32; 24 unlabelled), recall 0.86 (30/35); red flags alone precision 1.00 (labelled only 1.00: 5/5; 0 unlabelled), recall 0.36 (5/14)
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.vocabulary import STAGES


@dataclass(frozen=True)
class Calibration:
    applies: float         # max(w, c) from which a lesson applies to the plan
    warning: float         # w from which it applies whatever c (the plan heads into it)
    covered: float         # c from which the plan does what the lesson recommends
    margin: float          # covered only if c + margin >= w
    red_flag: float        # w from which a went-wrong lesson is a red flag, not a gap
    top_signs: int         # a lesson's match is the mean of its best this-many signs
    contrast: float        # share of a sentence's match with other lessons taken off
    contrast_depth: int    # how many other lessons make that background
    keyword_weight: float  # bonus per share of a sign's word stems found in the sentence
    keyword_depth: int     # sentences per sign that get the keyword bonus (the nearest)
    negation: bool         # a declined covered sign ("we do not propose to…") warns instead
    min_words: int         # shorter plan sentences (headings, labels) are not matched
    stage_share: float     # a stage is the plan's when this share of the lessons that apply are of it
    stage_later: bool      # and so are the stages after the plan's first (it heads into them)
    silent_outcomes: tuple[str, ...]  # outcomes of the lessons a silent plan can miss (gaps)
    silent_floor: float    # topic from which a lesson of the plan's stage is a silent gap

    def classify(self, w: float, c: float, outcome: str) -> str | None:
        """A lesson's status from its best warning (w) and covered (c) match, or None when
        it does not apply to the plan."""
        if max(w, c) < self.applies and w < self.warning:
            return None
        if c >= self.covered and c + self.margin >= w:
            return "covered"
        if outcome == "went-wrong" and w >= self.red_flag:
            return "red-flag"
        return "gap"

    def plan_stages(self, applied: list[str]) -> frozenset[str]:
        """The plan's stages, from the stages of the lessons that apply to it (one entry per
        lesson): those with at least `stage_share` of them, and with `stage_later` every
        stage after the first of those (in the order a programme meets them)."""
        if not applied:
            return frozenset()
        stages = {s for s in set(applied) if applied.count(s) >= self.stage_share * len(applied)}
        if self.stage_later and stages:
            order = list(STAGES)
            stages = set(order[min(order.index(s) for s in stages):])
        return frozenset(stages)

    def silent_gap(self, c: float, topic: float, outcome: str, stage: str,
                   plan_stages: frozenset[str]) -> bool:
        """Whether a lesson that no passage of the plan is about is still a gap: it belongs to
        the plan's stages, has an outcome a plan must answer for, is not foreign to the
        plan (its `topic` match, kb/check.py, reaches `silent_floor`), and nothing in the
        plan does what it recommends (c is below `covered`)."""
        return (stage in plan_stages and outcome in self.silent_outcomes
                and topic >= self.silent_floor and c < self.covered)


CALIBRATION = Calibration(applies=0.228, warning=0.228, covered=0.227, margin=0.08, red_flag=0.249, top_signs=3, contrast=0.5, contrast_depth=3, keyword_weight=0.0, keyword_depth=5, negation=True, min_words=4, stage_share=0.2, stage_later=False, silent_outcomes=('went-wrong',), silent_floor=0.323)
