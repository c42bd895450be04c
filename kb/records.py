"""The curated records: what a case file holds, validated on the way in.

A case file (data/cases/<slug>.yaml) has three top-level keys: `case`, `lessons` and
`facts`; data/sources.yaml lists every source document that records cite. The models
here are the single definition of those shapes; `kb.casefiles` reads YAML into them
and turns pydantic's errors into "file, line, field, expected" messages.
"""

from __future__ import annotations

import re
from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kb.vocabulary import (EVIDENCE_KINDS, OUTCOMES, SOURCE_KINDS, SOURCE_STANDINGS, STAGES,
                           THEMES)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def _partial_date(value: str) -> str:
    if not _PARTIAL_DATE.match(value):
        raise ValueError("expected a date as YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def _one_of(allowed: dict | tuple, what: str):
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"expected a {what}, one of: {', '.join(allowed)}")
        return value

    return check


def _web_link(value: str) -> str:
    """Only http(s) links: a source's url becomes a live link on the home page, and a
    `javascript:` one would run in every reader's browser (stored XSS)."""
    if not re.match(r"^https?://[^\s]+$", value, re.IGNORECASE):
        raise ValueError("expected a web address starting http:// or https://")
    return value


PartialDate = Annotated[str, AfterValidator(_partial_date)]
WebLink = Annotated[str, AfterValidator(_web_link)]
Theme = Annotated[str, AfterValidator(_one_of(THEMES, "theme"))]
Stage = Annotated[str, AfterValidator(_one_of(STAGES, "stage"))]
Outcome = Annotated[str, AfterValidator(_one_of(OUTCOMES, "outcome"))]
SourceKind = Annotated[str, AfterValidator(_one_of(SOURCE_KINDS, "source kind"))]
Standing = Annotated[str, AfterValidator(_one_of(SOURCE_STANDINGS, "source standing"))]
EvidenceKind = Annotated[str, AfterValidator(_one_of(EVIDENCE_KINDS, "kind of evidence"))]


class Record(BaseModel):
    # Unknown keys are errors, so a misspelt field is reported rather than dropped.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Record):
    id: Slug
    title: Text
    publisher: Text
    date: Optional[PartialDate] = None  # a document of the user's may give none
    kind: SourceKind
    standing: Standing = Field(description="who wrote it, for whom: kb.vocabulary.SOURCE_STANDINGS")
    url: Optional[WebLink] = None
    reference: Optional[str] = Field(None, description="file name or citation of the original")


class Case(Record):
    slug: Slug
    name: Text
    commissioner: Text
    partners: list[Text] = []
    care_model: Text
    contract_form: Text
    population: Optional[str] = None
    value: Optional[str] = None
    term: Optional[str] = None
    status: Text
    outcome: Text
    summary: Text
    sources: list[Slug] = Field(min_length=1)


class Evidence(Record):
    source: Slug
    locator: Text = Field(description="section, page or slide within the source")
    kind: EvidenceKind = Field(description="what the source reports there: finding, decision, "
                               "plan or forecast")
    paraphrase: Text


def strength(evidence: list[tuple[str, str]]) -> str:
    """A lesson's strength from its evidence, as (source standing, evidence kind) pairs.

    - strong: at least two findings, at least one from an independent review: an outside
      body found it, and another finding (the same review at another point, or another
      source) bears it out.
    - weak: nothing but plans and forecasts: no source reports it found or decided.
    - moderate, the middle: at least one finding or decision, short of strong. A reported
      result or a decision actually taken shows something happened, but the account is
      single, or comes from the programme itself, its paid partner or national policy,
      none of which anyone outside has checked. A lone independent finding is moderate
      too: one audit point, uncorroborated.
    """
    findings = [standing for standing, kind in evidence if kind == "finding"]
    if len(findings) >= 2 and "independent-review" in findings:
        return "strong"
    if findings or any(kind == "decision" for _, kind in evidence):
        return "moderate"
    return "weak"


SIGN_WORDS = (6, 30)  # a plan sign is one sentence of a plan (written to 8–25 words)


def _plan_sentence(value: str) -> str:
    words = len(value.split())
    if not SIGN_WORDS[0] <= words <= SIGN_WORDS[1]:
        raise ValueError(f"expected one sentence of {SIGN_WORDS[0]}–{SIGN_WORDS[1]} words "
                         f"as a plan would say it; got {words} words")
    return value


PlanSentence = Annotated[Text, AfterValidator(_plan_sentence)]


class PlanSigns(Record):
    """What a lesson looks like inside a commissioner's plan, for `kb check`: `warning`,
    what a plan heading into the lesson's problem says (for a lesson that went wrong, its
    driving event as a plan would propose it); `covered`, what doing the recommendation
    looks like in a plan. Written from the record and its sources, never from a test plan."""

    warning: list[PlanSentence] = Field(min_length=1)
    covered: list[PlanSentence] = Field(min_length=1)


class Lesson(Record):
    id: Slug
    title: Text
    event: Text = Field(description="the driving event: what happened")
    lesson: Text
    recommendation: Text
    themes: list[Theme] = Field(min_length=1)
    stage: Stage
    outcome: Outcome
    evidence: list[Evidence] = Field(min_length=1)
    related: list[Slug] = Field([], description="ids of the same lesson seen in other cases")
    questions: list[Text] = Field(
        [], description="questions this lesson answers, in the everyday words users type")
    plan_signs: Optional[PlanSigns] = Field(
        None, description="how the lesson shows in a plan: read by `kb check`")


def lesson_strength(lesson: Lesson, standings: dict[str, str]) -> str:
    """`strength` of a lesson whose sources have these standings (source id → standing)."""
    return strength([(standings[e.source], e.kind) for e in lesson.evidence])


class Fact(Record):
    id: Slug
    label: Text
    value: Text
    number: Optional[float] = Field(None, description="the figure as a number, for sorting")
    unit: Optional[str] = None
    date: Optional[PartialDate] = Field(None, description="set for key dates: the timeline")
    source: Slug
    locator: Text
    note: Optional[str] = None


class CaseFile(Record):
    case: Case
    lessons: list[Lesson] = []
    facts: list[Fact] = []


class SourcesFile(Record):
    sources: list[Source] = Field(min_length=1)


class Redirect(Record):
    """A published lesson id merged into another lesson (data/redirects.yaml): the old id
    still resolves, in `kb show`, the TUI and the browser."""

    old: Slug
    new: Slug
    reason: Text


class RedirectsFile(Record):
    redirects: list[Redirect] = []
