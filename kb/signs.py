"""Plan signs: each lesson's short statements of how it shows inside a plan.

A plan states intentions in its own words, not the consequence a lesson records, so plain
similarity of a plan's sentences to a lesson's text ranks the right lessons 39th–141st of
150 (issue 10). Curated one-sentence statements of what a plan heading into the lesson
says (`warning`) and what a plan doing its recommendation says (`covered`) land on the
right place in a plan. They are stored in the `plan_signs` table and, like the record
words of kb/neighbours.py, embedded at build time as vectors without an `items` row (kind
"sign"), through the same content-hash store, so an unchanged sign is never embedded twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from kb.embeddings import from_blobs
from kb.items import Item
from kb.records import CaseFile, Lesson

KIND = "sign"
SIGN_KINDS = ("warning", "covered")


def sign_id(lesson: str, kind: str, ordinal: int) -> str:
    return f"{lesson}/{kind}/{ordinal}"


def sign_rows(lesson: Lesson) -> list[dict]:
    if lesson.plan_signs is None:
        return []
    return [{"lesson": lesson.id, "kind": kind, "ordinal": n, "text": text}
            for kind in SIGN_KINDS
            for n, text in enumerate(getattr(lesson.plan_signs, kind), start=1)]


def sign_items(case_files: Iterable[CaseFile]) -> list[Item]:
    """One embedding entry per sign (vectors only: signs are matched, never listed)."""
    return [Item(kind=KIND, id=sign_id(row["lesson"], row["kind"], row["ordinal"]),
                 case=cf.case.slug, title=row["text"], text=row["text"])
            for cf in case_files for lesson in cf.lessons for row in sign_rows(lesson)]


@dataclass
class Signs:
    """Every sign of a database with its vector: row i is lesson `lessons[i]`."""

    lessons: np.ndarray   # lesson id per sign (object array)
    kinds: np.ndarray     # "warning" or "covered" per sign
    texts: list[str]
    matrix: np.ndarray    # (n, dims) float32, L2-normalised

    @classmethod
    def load(cls, conn: sqlite3.Connection, dimensions: int) -> "Signs":
        rows = conn.execute(
            "select plan_signs.lesson, plan_signs.kind, plan_signs.text, embeddings.vector "
            "from plan_signs join embeddings on embeddings.kind = ? and embeddings.id = "
            "plan_signs.lesson || '/' || plan_signs.kind || '/' || plan_signs.ordinal "  # sign_id
            "order by plan_signs.lesson, plan_signs.kind, plan_signs.ordinal", [KIND]).fetchall()
        return cls(lessons=np.array([r[0] for r in rows], dtype=object),
                   kinds=np.array([r[1] for r in rows], dtype=object),
                   texts=[r[2] for r in rows],
                   matrix=from_blobs((r[3] for r in rows), dimensions))
