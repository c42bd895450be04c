"""Thresholds and weights of `kb check` (kb/check.py), in one place.

Calibrated by `.venv/bin/python bench/check.py --holdout --write` on the labelled tune plans
(tests/plans/, split: tune), with the model the database was built with; held-out
plans reported, never tuned on. Precision counts a listed lesson the labels
leave out as half a false positive (bench/plan_evaluate.py). Measured at calibration:

- tune (5 plans): red-flag+gap precision 0.49 (labelled only 1.00: 13/13; 27 unlabelled), recall 0.65 (13/20); covered precision 0.88 (labelled only 1.00: 35/35; 10 unlabelled), recall 0.69 (35/51); red flags alone precision 0.62 (labelled only 0.80: 4/5; 3 unlabelled), recall 0.57 (4/7)
- held-out (5 plans): red-flag+gap precision 0.48 (labelled only 0.81: 13/16; 22 unlabelled), recall 0.46 (13/28); covered precision 0.54 (labelled only 0.85: 22/26; 30 unlabelled), recall 0.63 (22/35); red flags alone precision 0.93 (labelled only 1.00: 7/7; 1 unlabelled), recall 0.50 (7/14)
- leave one tune plan out: red-flag+gap precision 0.33 (labelled only 1.00: 8/8; 32 unlabelled), recall 0.40 (8/20); covered precision 0.77 (labelled only 0.97: 36/37; 19 unlabelled), recall 0.71 (36/51); red flags alone precision 0.44 (labelled only 0.67: 2/3; 3 unlabelled), recall 0.29 (2/7)
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


CALIBRATION = Calibration(applies=0.311, warning=0.292, covered=0.267, margin=0.08, red_flag=0.309, top_signs=2, contrast=0.5, contrast_depth=3, keyword_weight=0.0, keyword_depth=5, negation=True, min_words=4, stage_share=0.3, stage_later=True, silent_outcomes=('went-wrong',), silent_floor=0.474)
