"""When the candidate-lesson tagger (ingest/candidates.py) tags a theme.

Calibrated by `.venv/bin/python bench/themes.py --write` on the labelled sentences of
tests/ingest/themes.yaml (split tune), choosing the best F0.5 (precision counted twice);
held-out sentences reported, never tuned on. Measured at calibration:

before calibration: ThemeCalibration(min_score=0.0, margin=0.06, contrast=0.0, max_themes=3)
  tune (75): precision 0.35 (49/142), recall 0.64 (49/77), F0.5 0.38; tagged though about nothing 100%; left without a theme 0%
  held out (75): precision 0.34 (43/126), recall 0.54 (43/80), F0.5 0.37; tagged though about nothing 100%; left without a theme 0%
calibrated: ThemeCalibration(min_score=0.321, margin=0.08, contrast=0.0, max_themes=3)
  tune (75): precision 0.63 (27/43), recall 0.35 (27/77), F0.5 0.54; tagged though about nothing 17%; left without a theme 57%
  held out (75): precision 0.56 (22/39), recall 0.28 (22/80), F0.5 0.47; tagged though about nothing 26%; left without a theme 55%
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeCalibration:
    min_score: float   # a theme is tagged only from this (contrasted) cosine
    margin: float      # ... and within this of the sentence's best theme
    contrast: float    # share of the sentence's mean cosine to all themes taken off first
    max_themes: int    # at most this many themes


CALIBRATION = ThemeCalibration(min_score=0.321, margin=0.08, contrast=0.0, max_themes=3)
