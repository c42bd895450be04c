"""Thresholds of `kb check` (kb/check.py). Not yet calibrated: bench/check.py rewrites
this file from the labelled tune plans."""

APPLIES = 0.55
COVERED = 0.60
RED_FLAG = 0.60
MARGIN = 0.0
KEYWORD_WEIGHT = 0.0
KEYWORD_DEPTH = 5
MIN_WORDS = 4
