"""When the candidate-lesson tagger (ingest/candidates.py) tags a theme.

Calibrated by `.venv/bin/python bench/themes.py --write` on the labelled sentences of
tests/ingest/themes.yaml (split tune), choosing the best F0.5 (precision counted twice);
held-out sentences reported, never tuned on. Measured at calibration:

before calibration: ThemeCalibration(min_score=0.0, margin=0.06, contrast=0.0, max_themes=3)
  tune (75): precision 0.27 (39/142), recall 0.51 (39/77), F0.5 0.30; tagged though about nothing 100%; left without a theme 0%
  held out (75): precision 0.31 (41/133), recall 0.51 (41/80), F0.5 0.33; tagged though about nothing 100%; left without a theme 0%
calibrated: ThemeCalibration(min_score=0.225, margin=0.1, contrast=1.0, max_themes=2)
  tune (75): precision 0.57 (21/37), recall 0.27 (21/77), F0.5 0.47; tagged though about nothing 25%; left without a theme 60%
  held out (75): precision 0.62 (24/39), recall 0.30 (24/80), F0.5 0.51; tagged though about nothing 16%; left without a theme 55%
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeCalibration:
    min_score: float   # a theme is tagged only from this (contrasted) cosine
    margin: float      # ... and within this of the sentence's best theme
    contrast: float    # share of the sentence's mean cosine to all themes taken off first
    max_themes: int    # at most this many themes


CALIBRATION = ThemeCalibration(min_score=0.225, margin=0.1, contrast=1.0, max_themes=2)
