"""The labelled plans that `kb check` is judged on (tests/plans/), for tests and bench.

tests/plans/labels.yaml gives, for each plan (tests/plans/<name>.md), its split (`tune`:
thresholds may be calibrated on it; `holdout`: reported only), the lessons it must flag
(`red_flags`, `gaps`) and the lessons it must show as covered. They were written by someone
who saw neither the plan signs nor the engine. Precision and recall are counted over every
(plan, lesson) pair: red-flag+gap (one set: a lesson the plan walks into, either way) and
covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb import config

PLANS_DIR = config.PROJECT_ROOT / "tests" / "plans"
LABELS = PLANS_DIR / "labels.yaml"
SPLITS = ("tune", "holdout")


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
    data = yaml.safe_load(labels.read_text(encoding="utf-8")) or {}
    entries = data.get("plans", data)
    plans = []
    for name, entry in entries.items():
        path = labels.parent / (entry.get("file") or f"{name}.md")
        plans.append(LabelledPlan(
            name=name, path=path, split=entry["split"],
            red_flags=frozenset(entry.get("red_flags") or ()),
            gaps=frozenset(entry.get("gaps") or ()),
            covered=frozenset(entry.get("covered") or ())))
    return plans


@dataclass
class Counts:
    """True positives, predicted and expected over (plan, lesson) pairs."""

    hits: int = 0
    predicted: int = 0
    expected: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, plan: str, predicted: set[str], expected: set[str]) -> None:
        self.hits += len(predicted & expected)
        self.predicted += len(predicted)
        self.expected += len(expected)
        self.misses += [f"{plan}: {lesson}" for lesson in sorted(expected - predicted)]

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (f"precision {self.precision:.2f} ({self.hits}/{self.predicted}), "
                f"recall {self.recall:.2f} ({self.hits}/{self.expected})")
