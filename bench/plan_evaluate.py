"""The labelled plans that `kb check` is judged on (tests/plans/), for tests and bench.

tests/plans/labels.yaml lists, for each plan (`plan:` a file in tests/plans/), its split (`tune`:
thresholds may be calibrated on it; `holdout`: reported only), the lessons it must flag
(`red_flags`, `gaps`) and the lessons it must show as covered. They were written by someone
who saw neither the plan signs nor the engine. Precision and recall are counted over every
(plan, lesson) pair: red-flag+gap (one set: a lesson the plan walks into, either way) and
covered.

The labels name only what a careful reviewer would certainly expect; a lesson they leave
out is "neither required nor forbidden". So precision counts a listed lesson the labels
leave out as UNLABELLED of a false positive: ignoring them would reward padding the list,
counting them fully would punish listing what a reviewer may well accept. Reports also
give the plain count of such lessons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from kb import config

PLANS_DIR = config.PROJECT_ROOT / "tests" / "plans"
LABELS = PLANS_DIR / "labels.yaml"
SPLITS = ("tune", "holdout")
UNLABELLED = 0.5


@dataclass(frozen=True)
class LabelledPlan:
    name: str
    path: Path
    split: str
    red_flags: frozenset[str]
    gaps: frozenset[str]
    covered: frozenset[str]

    @property
    def flagged(self) -> frozenset[str]:
        return self.red_flags | self.gaps


def load_plans(labels: Path = LABELS) -> list[LabelledPlan]:
    plans = []
    for entry in YAML(typ="safe", pure=True).load(labels.read_text(encoding="utf-8")) or []:
        path = labels.parent / entry["plan"]
        plans.append(LabelledPlan(
            name=path.stem, path=path, split=entry["split"],
            red_flags=frozenset(entry.get("red_flags") or ()),
            gaps=frozenset(entry.get("gaps") or ()),
            covered=frozenset(entry.get("covered") or ())))
    return plans


@dataclass
class Counts:
    """True positives, predicted and expected over (plan, lesson) pairs."""

    hits: int = 0
    predicted: int = 0      # listed lessons the labels name (either way)
    unlabelled: int = 0     # listed lessons the labels leave out
    expected: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, plan: str, predicted: set[str], expected: set[str], labelled: set[str]) -> None:
        self.hits += len(predicted & expected)
        self.predicted += len(predicted & labelled)
        self.unlabelled += len(predicted - labelled)
        self.expected += len(expected)
        self.misses += [f"{plan}: {lesson}" for lesson in sorted(expected - predicted)]

    def extend(self, other: "Counts") -> None:
        """Add another set of plans' counts (leave-one-plan-out sums its folds)."""
        self.hits += other.hits
        self.predicted += other.predicted
        self.unlabelled += other.unlabelled
        self.expected += other.expected
        self.misses += other.misses

    @property
    def precision(self) -> float:
        weighted = self.predicted + UNLABELLED * self.unlabelled
        return self.hits / weighted if weighted else 0.0

    @property
    def labelled_precision(self) -> float:
        """Precision among the lessons the labels name: unlabelled ones left aside."""
        return self.hits / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (f"precision {self.precision:.2f} (labelled only {self.labelled_precision:.2f}: "
                f"{self.hits}/{self.predicted}; {self.unlabelled} unlabelled), "
                f"recall {self.recall:.2f} ({self.hits}/{self.expected})")
