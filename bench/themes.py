"""Calibrate the candidate-lesson theme tagger and report its precision and recall.

    .venv/bin/python bench/themes.py [--write]

The labelled sentences are tests/ingest/themes.yaml (source sentences with the themes
they are about, labelled from the vocabulary's definitions before the tagger was run on
them; split tune/holdout at random). Every combination of the tagger's settings
(ingest/theme_calibration.py) is scored on the tune sentences by F0.5 over their theme
tags (precision counts twice as much as recall: a wrong tag is what a reviewer has to
undo, a missing one is added with --theme); the best is reported on both halves beside
the settings before calibration, and `--write` rewrites ingest/theme_calibration.py.
Precision and recall are micro-averaged over (sentence, theme) pairs; "tagged, about
nothing" is the share of sentences labelled with no theme that still got one.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.candidates import ThemeTagger, chosen  # noqa: E402
from ingest.theme_calibration import ThemeCalibration  # noqa: E402
from kb.embeddings import load_embedder  # noqa: E402
from kb.vocabulary import THEMES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "ingest" / "themes.yaml"
CALIBRATION_FILE = ROOT / "ingest" / "theme_calibration.py"
BEFORE = ThemeCalibration(min_score=0.0, margin=0.06, contrast=0.0, max_themes=3)


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f_half: float
    tagged: int
    correct: int
    labelled: int
    about_nothing_tagged: float   # share of sentences labelled [] that got a theme
    untagged: float               # share of all sentences left without a theme

    def __str__(self) -> str:
        return (f"precision {self.precision:.2f} ({self.correct}/{self.tagged}), "
                f"recall {self.recall:.2f} ({self.correct}/{self.labelled}), "
                f"F0.5 {self.f_half:.2f}; tagged though about nothing "
                f"{self.about_nothing_tagged:.0%}; left without a theme {self.untagged:.0%}")


def load(split: str) -> list[dict]:
    return [row for row in YAML(typ="safe").load(LABELS.read_text()) if row["split"] == split]


def evaluate(scores: np.ndarray, rows: list[dict], calibration: ThemeCalibration) -> Figures:
    names = list(THEMES)
    tagged = correct = labelled = 0
    empty = empty_tagged = untagged = 0
    for row, row_scores in zip(rows, scores):
        predicted = {names[j] for j in chosen(row_scores, calibration)}
        truth = set(row["themes"])
        tagged += len(predicted)
        correct += len(predicted & truth)
        labelled += len(truth)
        untagged += not predicted
        if not truth:
            empty += 1
            empty_tagged += bool(predicted)
    precision = correct / tagged if tagged else 1.0
    recall = correct / labelled if labelled else 1.0
    f_half = (1.25 * precision * recall / (0.25 * precision + recall)
              if precision + recall else 0.0)
    return Figures(precision, recall, f_half, tagged, correct, labelled,
                   empty_tagged / empty if empty else 0.0, untagged / len(rows))


def search(scores: np.ndarray, rows: list[dict]) -> ThemeCalibration:
    """The settings with the best tune F0.5 (ties: the fewer themes, then the higher floor)."""
    best = None
    for contrast, margin, max_themes in itertools.product(
            (0.0, 0.5, 0.8, 1.0), (0.0, 0.02, 0.04, 0.06, 0.08, 0.10), (1, 2, 3)):
        contrasted = scores - contrast * scores.mean(axis=1, keepdims=True)
        floors = np.unique(np.round(np.quantile(contrasted.max(axis=1),
                                                np.linspace(0, 0.9, 46)), 3))
        for floor in floors:
            calibration = ThemeCalibration(float(floor), margin, contrast, max_themes)
            figures = evaluate(scores, rows, calibration)
            key = (round(figures.f_half, 4), -max_themes, float(floor))
            if best is None or key > best[0]:
                best = (key, calibration)
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="rewrite ingest/theme_calibration.py with the chosen settings")
    args = parser.parse_args()
    tagger = ThemeTagger(load_embedder())
    tune, holdout = load("tune"), load("holdout")
    tune_scores = tagger.scores([r["text"] for r in tune])[0]
    holdout_scores = tagger.scores([r["text"] for r in holdout])[0]
    calibration = search(tune_scores, tune)
    report = []
    for name, settings in (("before calibration", BEFORE), ("calibrated", calibration)):
        report.append(f"{name}: {settings}")
        report.append(f"  tune ({len(tune)}): {evaluate(tune_scores, tune, settings)}")
        report.append(f"  held out ({len(holdout)}): "
                      f"{evaluate(holdout_scores, holdout, settings)}")
    print("\n".join(report))
    if args.write:
        write(calibration, report)
        print(f"wrote {CALIBRATION_FILE.relative_to(ROOT)}")


def write(calibration: ThemeCalibration, report: list[str]) -> None:
    text = CALIBRATION_FILE.read_text()
    docstring = ('"""When the candidate-lesson tagger (ingest/candidates.py) tags a theme.\n\n'
                 "Calibrated by `.venv/bin/python bench/themes.py --write` on the labelled "
                 "sentences of\ntests/ingest/themes.yaml (split tune), choosing the best F0.5 "
                 "(precision counted twice);\nheld-out sentences reported, never tuned on. "
                 "Measured at calibration:\n\n" + "\n".join(report) + '\n"""\n')
    body = text[text.index("from __future__"):]
    body = body[:body.index("CALIBRATION = ")] + f"CALIBRATION = {calibration!r}\n"
    CALIBRATION_FILE.write_text(docstring + "\n" + body)


if __name__ == "__main__":
    main()
