"""Records read in full, for display: a lesson with its evidence, a case with its facts.

The search engine answers "what matches"; these queries answer "show me this record": the
lesson's evidence with its sources, the case's facts (a fact with a date is a timeline
entry), its lessons, the lessons of a theme. Used by the TUI and the Datasette pages. They
read the curated tables of kb/schema.py through a read-only connection that reopens itself
when `kb build` replaces the file or `kb ingest` writes to it (kb.database.Reopener,
as the engine's). Nothing
here knows about Textual.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from kb.database import Reopener
from kb.stats import Stats, collect
from kb.vocabulary import SOURCE_STANDINGS, label

STANDING_NAMES = {key: label(SOURCE_STANDINGS, key).lower() for key in SOURCE_STANDINGS}


@dataclass(frozen=True)
class LessonRow:
    """A lesson as one line of a list: the fields a search `Hit` has too, so the same
    table shows search results, a case's lessons and a theme's lessons."""

    id: str
    case: str
    title: str
    themes: tuple[str, ...]
    stage: str | None
    outcome: str | None
    kind: str = "lesson"
    strength: str | None = None


@dataclass(frozen=True)
class EvidenceView:
    source: str
    source_title: str
    publisher: str
    date: str
    url: str | None
    locator: str
    paraphrase: str
    kind: str = ""      # finding, decision, plan or forecast
    standing: str = ""  # the source's: independent-review, partner-review, own-report, …

    @property
    def citation(self) -> str:
        """"Title (publisher, date), locator": enough to find the passage again."""
        published = ", ".join(part for part in (self.publisher, self.date) if part)
        return f"{self.source_title} ({published}), {self.locator}"


@dataclass(frozen=True)
class LessonView:
    id: str
    case: str
    case_name: str
    title: str
    event: str
    lesson: str
    recommendation: str
    themes: tuple[str, ...]
    stage: str
    outcome: str
    evidence: tuple[EvidenceView, ...]
    strength: str = ""
    redirected_from: str | None = None  # the old id asked for, when it was merged into this

    @property
    def row(self) -> LessonRow:
        return LessonRow(self.id, self.case, self.title, self.themes, self.stage, self.outcome,
                         strength=self.strength)

    @property
    def basis(self) -> str:
        """What the strength rests on: "2 findings (independent review, partner's review)"."""
        counts: dict[str, list[str]] = {}
        for e in self.evidence:
            counts.setdefault(e.kind, []).append(e.standing)
        parts = []
        for kind in ("finding", "decision", "plan", "forecast"):
            standings = counts.get(kind)
            if standings:
                who = ", ".join(dict.fromkeys(STANDING_NAMES.get(s, s) for s in standings))
                parts.append(f"{len(standings)} {kind}{'' if len(standings) == 1 else 's'} ({who})")
        return "; ".join(parts)


@dataclass(frozen=True)
class FactView:
    id: str
    label: str
    value: str
    date: str | None
    note: str | None
    source_title: str
    locator: str


@dataclass(frozen=True)
class CaseView:
    """A case overview: what was commissioned, how it went, its facts and its lessons."""

    slug: str
    name: str
    commissioner: str
    partners: tuple[str, ...]
    care_model: str
    contract_form: str
    population: str | None
    value: str | None
    term: str | None
    status: str
    outcome: str
    summary: str
    sources: tuple[str, ...]        # source titles
    facts: tuple[FactView, ...]         # in the curated order
    lessons: tuple[LessonRow, ...]  # in the curated order

    @property
    def timeline(self) -> list[FactView]:
        """The dated facts, oldest first (partial ISO dates sort as text)."""
        return sorted((f for f in self.facts if f.date), key=lambda f: f.date)

    @property
    def key_facts(self) -> list[FactView]:
        """The figures and findings: the facts that are not timeline entries."""
        return [f for f in self.facts if not f.date]


@dataclass(frozen=True)
class CaseRow:
    slug: str
    name: str
    status: str
    lessons: int
    facts: int


class Catalog:
    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._db = Reopener(self.db_path)
        self._stats: Stats | None = None
        self._redirects: dict[str, str] | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._db.refresh():
            self._db.conn.row_factory = sqlite3.Row
            self._stats = self._redirects = None
        return self._db.conn

    @property
    def stats(self) -> Stats:
        """The counts of kb.stats, read once per version of the file."""
        self.conn  # noqa: B018 - reconnects (and forgets the counts) if the file changed
        if self._stats is None:
            self._stats = collect(self.db_path)
        return self._stats

    def close(self) -> None:
        self._db.close()

    def redirect(self, lesson_id: str) -> str | None:
        """The lesson an old, merged id now leads to (data/redirects.yaml), if any. The
        browser asks this before every lesson page, on its event loop: the few redirects
        are read once per version of the file, so asking costs a stat() and a dict lookup."""
        conn = self.conn  # reconnects (and forgets the redirects) if the file changed
        if self._redirects is None:
            self._redirects = dict(conn.execute("select old_id, new_id from redirects"))
        return self._redirects.get(lesson_id)

    def lesson(self, lesson_id: str) -> LessonView | None:
        """The lesson with this id, or with the id it was merged into (`redirected_from`
        then names the id asked for): a published id never stops leading somewhere."""
        found = self._lesson(lesson_id)
        if found is None and (new := self.redirect(lesson_id)) is not None:
            found = self._lesson(new)
            if found is not None:
                found = replace(found, redirected_from=lesson_id)
        return found

    def _lesson(self, lesson_id: str) -> LessonView | None:
        row = self.conn.execute(
            'select lessons.*, cases.name as case_name from lessons '
            'join cases on cases.slug = lessons."case" where lessons.id = ?', [lesson_id]).fetchone()
        if row is None:
            return None
        evidence = tuple(EvidenceView(r["source"], r["title"] or r["source"], r["publisher"] or "",
                                      r["date"] or "", r["url"], r["locator"], r["paraphrase"],
                                      r["kind"] or "", r["standing"] or "")
                         for r in self.conn.execute(
            "select evidence.source, evidence.locator, evidence.paraphrase, evidence.kind, "
            "sources.title, sources.publisher, sources.date, sources.url, sources.standing "
            "from evidence "
            "left join sources on sources.id = evidence.source "
            "where evidence.lesson = ? order by evidence.id", [lesson_id]))
        return LessonView(id=row["id"], case=row["case"], case_name=row["case_name"],
                      title=row["title"], event=row["event"], lesson=row["lesson"],
                      recommendation=row["recommendation"], themes=_themes(row["themes"]),
                      stage=row["stage"], outcome=row["outcome"], evidence=evidence,
                      strength=row["strength"] or "")

    def lessons(self, lesson_ids) -> list[LessonView]:
        """Lessons in the order given; ids no longer in the database are skipped."""
        return [lesson for lesson in map(self.lesson, lesson_ids) if lesson is not None]

    def case(self, slug: str) -> CaseView | None:
        row = self.conn.execute("select * from cases where slug = ?", [slug]).fetchone()
        if row is None:
            return None
        facts = tuple(FactView(r["id"], r["label"], r["value"], r["date"], r["note"],
                           r["source_title"] or r["source"], r["locator"])
                      for r in self.conn.execute(
            'select facts.*, sources.title as source_title from facts '
            'left join sources on sources.id = facts.source '
            'where facts."case" = ? order by facts.rowid', [slug]))
        lessons = tuple(_lesson_row(r) for r in self.conn.execute(
            f'select {_ROW_COLUMNS} from lessons where "case" = ? order by rowid', [slug]))
        sources = tuple(r[0] for r in self.conn.execute(
            'select sources.title from case_sources join sources on sources.id = case_sources.source '
            'where case_sources."case" = ? order by case_sources.rowid', [slug]))
        return CaseView(slug=row["slug"], name=row["name"], commissioner=row["commissioner"],
                    partners=tuple(json.loads(row["partners"] or "[]")),
                    care_model=row["care_model"], contract_form=row["contract_form"],
                    population=row["population"], value=row["value"], term=row["term"],
                    status=row["status"], outcome=row["outcome"], summary=row["summary"],
                    sources=sources, facts=facts, lessons=lessons)

    def cases(self) -> list[CaseRow]:
        """Every case with its counts of lessons and facts (from kb.stats), by name."""
        counts = self.stats.by_case
        return [CaseRow(r["slug"], r["name"], r["status"],
                        counts.get(r["slug"], {}).get("lesson", 0),
                        counts.get(r["slug"], {}).get("fact", 0))
                for r in self.conn.execute("select slug, name, status from cases order by name")]

    def lessons_with_theme(self, theme: str) -> list[LessonRow]:
        return [_lesson_row(r) for r in self.conn.execute(
            f"select {_ROW_COLUMNS} from lessons where exists "
            "(select 1 from json_each(lessons.themes) where json_each.value = ?) "
            'order by "case", rowid', [theme])]


_ROW_COLUMNS = 'id, "case", title, themes, stage, outcome, strength'


def _lesson_row(r: sqlite3.Row) -> LessonRow:
    return LessonRow(r["id"], r["case"], r["title"], _themes(r["themes"]), r["stage"], r["outcome"],
                     strength=r["strength"])


def _themes(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value or "[]"))
