"""Records drawn in full: a lesson's text, its evidence, a case's details and facts.

Plain `Static`s of rich text: they wrap to any width, and the screens lay them out in a
scrolling column.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kb.catalog import CaseView, FactView, LessonView
from kb.labels import (friendly_date, outcome_mark, outcome_name, outcome_style, stage_name,
                        standing_name, strength_style, theme_name)


class Heading(Static):
    """A section heading inside a record."""


class LessonText(Static):
    """Title, where it comes from, and the three parts of a lesson."""

    def show(self, lesson: LessonView, shortlisted: bool) -> None:
        text = Text()
        text.append(f"{outcome_mark(lesson.outcome)} ", outcome_style(lesson.outcome))
        text.append(lesson.title, "bold")
        if shortlisted:
            text.append("  ★ shortlisted", "bold yellow")
        text.append("\n")
        text.append(lesson.case_name, "italic")
        text.append(" · ")
        text.append(stage_name(lesson.stage))
        text.append(" · ")
        text.append(outcome_name(lesson.outcome), outcome_style(lesson.outcome))
        text.append("\n")
        if lesson.strength:
            text.append("evidence: ")
            text.append(lesson.strength, strength_style(lesson.strength))
            text.append(f" — {lesson.basis}\n", "dim")
        text.append("themes: " + ", ".join(theme_name(t) for t in lesson.themes), "magenta")
        if lesson.redirected_from:
            text.append(f"\n{lesson.redirected_from} was merged into this lesson", "yellow")
        for heading, value in (("What happened", lesson.event), ("Lesson", lesson.lesson),
                               ("Recommendation", lesson.recommendation)):
            text.append(f"\n\n{heading}\n", "bold underline")
            text.append(value)
        self.update(text)


class EvidenceList(Static):
    def show(self, lesson: LessonView) -> None:
        text = Text()
        for i, evidence in enumerate(lesson.evidence):
            if i:
                text.append("\n\n")
            text.append(f"{i + 1}. ", "bold")
            if evidence.kind:
                text.append(f"{evidence.kind} · {standing_name(evidence.standing)}: ", "bold")
            text.append(evidence.paraphrase)
            text.append(f"\nSource: {evidence.citation}", "dim")
        self.update(text)


class FactList(Static):
    """Facts as "label: value", with their source when `cited`."""

    def show(self, facts: list[FactView], *, cited: bool = False, more: int = 0) -> None:
        text = Text()
        for i, fact in enumerate(facts):
            if i:
                text.append("\n\n" if cited else "\n")
            text.append(f"{fact.label}: ", "bold")
            text.append(fact.value)
            if fact.note and cited:
                text.append(f" ({fact.note})")
            if cited:
                text.append(f"\n{fact.source_title}, {fact.locator}", "dim")
        if more:
            text.append(f"\n… and {more} more: o opens the case overview", "dim")
        if not facts:
            text.append("none recorded", "dim")
        self.update(text)


class Timeline(Static):
    """Dated facts in date order, the date in a column of its own."""

    def show(self, facts: list[FactView]) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold cyan", no_wrap=True)
        table.add_column()
        for fact in facts:
            table.add_row(friendly_date(fact.date),
                          Text.assemble(fact.label, (f" — {fact.value}", "dim")))
        self.update(table if facts else Text("no dated facts recorded", "dim"))


class CaseDetails(Static):
    """What was commissioned, from whom, how and how it went."""

    def show(self, case: CaseView) -> None:
        text = Text()
        text.append(case.summary + "\n")
        for label, value in (("Status", case.status), ("Outcome", case.outcome),
                             ("Commissioner", case.commissioner),
                             ("Partners", "; ".join(case.partners)),
                             ("Care model", case.care_model), ("Contract", case.contract_form),
                             ("Population", case.population), ("Value", case.value),
                             ("Term", case.term), ("Sources", "; ".join(case.sources))):
            if value:
                text.append(f"\n{label}: ", "bold")
                text.append(value)
        self.update(text)
