"""Thresholds and weights of `kb check` (kb/check.py), in one place.

Not yet calibrated: `bench/check.py --write` rewrites this file from the labelled tune
plans (tests/plans/), with the figures it measured.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    applies: float         # max(w, c) from which a lesson applies to the plan
    covered: float         # c from which the plan does what the lesson recommends
    margin: float          # covered only if c + margin >= w
    red_flag: float        # w from which a went-wrong lesson is a red flag, not a gap
    top_signs: int         # a lesson's match is the mean of its best this-many signs
    keyword_weight: float  # bonus per share of a sign's word stems found in the sentence
    keyword_depth: int     # sentences per sign that get the keyword bonus (the nearest)
    negation: bool         # a declined covered sign ("we do not propose to…") warns instead
    min_words: int         # shorter plan sentences (headings, labels) are not matched

    def classify(self, w: float, c: float, outcome: str) -> str | None:
        """A lesson's status from its best warning (w) and covered (c) match, or None when
        it does not apply to the plan."""
        if max(w, c) < self.applies:
            return None
        if c >= self.covered and c + self.margin >= w:
            return "covered"
        if outcome == "went-wrong" and w >= self.red_flag:
            return "red-flag"
        return "gap"


CALIBRATION = Calibration(applies=0.55, covered=0.60, margin=0.0, red_flag=0.60, top_signs=2,
                          keyword_weight=0.0, keyword_depth=5, negation=True, min_words=4)
