"""Where every programme stumbled: lessons counted by stage and case, and by theme and case.

One query (`OVERVIEW_SQL`) gives the counts behind the browser's compare page, its JSON
and the case pages' sections: lessons grouped by case, stage, outcome and their themes'
JSON. Grouping on the themes text rather than joining json_each keeps a lesson counted
once per stage cell (a join would count it once per theme); the themes are then added up
here. It reads only `lessons` and `cases` (a few hundred rows), so its time does not grow
with ingested passages: bench/web.py measures the page at 100,000 of them.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from kb.vocabulary import STAGES, THEMES

OVERVIEW_SQL = """
select lessons."case" as "case", lessons.stage as stage, lessons.outcome as outcome,
       lessons.themes as themes, count(*) as n
from lessons group by lessons."case", lessons.stage, lessons.outcome, lessons.themes
"""
CASES_SQL = "select slug, name from cases order by name"
WENT_WRONG = "went-wrong"


@dataclass(frozen=True)
class Cell:
    lessons: int = 0
    went_wrong: int = 0


@dataclass
class Overview:
    """Counts of lessons: by (stage, case), with how many went wrong, and by (theme, case)."""

    cases: dict[str, str]                      # slug → name, by name
    stage_cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    theme_counts: Counter = field(default_factory=Counter)

    @property
    def stage_order(self) -> list[str]:
        """The vocabulary's stages, then any other stage a lesson has."""
        seen = {stage for stage, _ in self.stage_cells}
        return [*STAGES, *sorted(seen - set(STAGES))]

    @property
    def theme_order(self) -> list[str]:
        """The vocabulary's themes that any lesson has, in the vocabulary's order."""
        seen = {theme for theme, _ in self.theme_counts}
        return [*(t for t in THEMES if t in seen), *sorted(seen - set(THEMES))]

    def cell(self, stage: str, case: str) -> Cell:
        return self.stage_cells.get((stage, case), Cell())

    @property
    def most_per_theme_cell(self) -> int:
        return max(self.theme_counts.values(), default=0)

    def to_json(self) -> dict:
        return {
            "cases": [{"slug": slug, "name": name} for slug, name in self.cases.items()],
            "stages": [{"stage": stage, "cells": [
                {"case": case, "lessons": self.cell(stage, case).lessons,
                 "went_wrong": self.cell(stage, case).went_wrong} for case in self.cases]}
                for stage in self.stage_order],
            "themes": [{"theme": theme, "cells": [
                {"case": case, "lessons": self.theme_counts[(theme, case)]}
                for case in self.cases]} for theme in self.theme_order],
        }


def overview(conn: sqlite3.Connection) -> Overview:
    result = Overview(cases=dict(conn.execute(CASES_SQL).fetchall()))
    cells: dict[tuple[str, str], list[int]] = {}
    for case, stage, outcome, themes, n in conn.execute(OVERVIEW_SQL):
        if case not in result.cases:
            result.cases[case] = case
        counts = cells.setdefault((stage, case), [0, 0])
        counts[0] += n
        counts[1] += n if outcome == WENT_WRONG else 0
        for theme in json.loads(themes or "[]"):
            result.theme_counts[(theme, case)] += n
    result.stage_cells = {key: Cell(*counts) for key, counts in cells.items()}
    return result
