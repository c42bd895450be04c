"""Thresholds and weights of `kb check` (kb/check.py), in one place.

Calibrated by `.venv/bin/python bench/check.py --write` on the labelled tune plans
(tests/plans/, split: tune), with the model the database was built with; held-out
plans reported, never tuned on. Precision counts a listed lesson the labels
leave out as half a false positive (bench/plan_evaluate.py). Measured at calibration:

- tune (5 plans): red-flag+gap precision 0.41 (labelled only 1.00: 8/8; 23 unlabelled), recall 0.40 (8/20); covered precision 0.78 (labelled only 1.00: 42/42; 24 unlabelled), recall 0.79 (42/53); red flags alone precision 0.67 (labelled only 0.80: 4/5; 2 unlabelled), recall 0.57 (4/7)
- held-out (5 plans): red-flag+gap precision 0.36 (labelled only 0.82: 9/11; 28 unlabelled), recall 0.31 (9/29); covered precision 0.54 (labelled only 0.85: 28/33; 37 unlabelled), recall 0.76 (28/37); red flags alone precision 0.86 (labelled only 1.00: 6/6; 2 unlabelled), recall 0.43 (6/14)
"""

from __future__ import annotations

from dataclasses import dataclass


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


CALIBRATION = Calibration(applies=0.162, warning=0.15, covered=0.146, margin=0.06, red_flag=0.181, top_signs=2, contrast=0.75, contrast_depth=3, keyword_weight=0.05, keyword_depth=5, negation=True, min_words=4)
