"""Search filters (case, theme, stage, kind, outcome, strength), checked in one place for the CLI,
the TUI and the web page.

A value matches a filter's key or the name a user sees, ignoring case, spaces and
punctuation: "Dudley", "West London", "Uniting Care", "conflicts of interest" and "Went
well" all work. An unknown value is a `QueryError` that lists the valid ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from kb.errors import QueryError
from kb.vocabulary import ITEM_KINDS, OUTCOMES, STAGES, STRENGTHS, THEMES, label

NAMES = ("case", "theme", "stage", "kind", "outcome", "strength")


@dataclass(frozen=True)
class Filters:
    """Restrict results; each field is a set of allowed values, empty meaning any."""

    case: frozenset[str] = frozenset()
    theme: frozenset[str] = frozenset()
    stage: frozenset[str] = frozenset()
    kind: frozenset[str] = frozenset()
    outcome: frozenset[str] = frozenset()
    strength: frozenset[str] = frozenset()  # of a lesson's evidence (kb.records.strength)

    @classmethod
    def of(cls, **values) -> "Filters":
        """Filters from values already known to be valid (keys, not names)."""
        def norm(v):
            if not v:
                return frozenset()
            return frozenset([v] if isinstance(v, str) else v)
        return cls(**{k: norm(v) for k, v in values.items()})

    def __bool__(self) -> bool:
        return any((self.case, self.theme, self.stage, self.kind, self.outcome, self.strength))


def choices(cases: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Every filter's valid keys with the names a user sees, in display order."""
    return {"case": dict(cases),
            "theme": {key: label(THEMES, key) for key in THEMES},
            "stage": {key: label(STAGES, key) for key in STAGES},
            "kind": {key: key for key in ITEM_KINDS},
            "outcome": {key: key.replace("-", " ") for key in OUTCOMES},
            "strength": {key: key for key in STRENGTHS}}


def resolve(values: Mapping[str, Iterable[str] | str | None], cases: Mapping[str, str]) -> Filters:
    """`Filters` from what a user gave (keys or displayed names), or QueryError naming the
    first unknown filter or value and listing the valid ones."""
    valid = choices(cases)
    chosen: dict[str, list[str]] = {}
    for name, given in values.items():
        if name not in valid:
            raise QueryError(f"Unknown filter {name!r}: filter by {', '.join(NAMES)}.")
        if not given:
            continue
        lookup = {_key(text): key for key, shown in valid[name].items() for text in (key, shown)}
        for value in [given] if isinstance(given, str) else given:
            if not value:
                continue
            if _key(value) not in lookup:
                raise QueryError(f"Unknown {name} {value[:80]!r}: use one of "
                                 f"{', '.join(valid[name])}.")
            chosen.setdefault(name, []).append(lookup[_key(value)])
    return Filters.of(**chosen)


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())
