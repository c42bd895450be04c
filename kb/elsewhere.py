"""NHS and public-service topics this knowledge base does not cover (data/elsewhere.yaml).

Search must say when nothing here answers a question (#11). A question about dental
charges or A&E waits still finds *some* lesson nearest to it, and a score alone cannot tell
"weakly relevant" from "about something else": the engine can instead ask whether the
question lies nearer to a topic known to be out of scope than to any record. These anchors
are those topics, one short line each in the plain words a user might think in, grouped by
area (clinical specialties, hospital operations, estates, IT, pharmacy, workforce, public
health, research, professional regulation, non-health public services, …).

The file is data, read and checked by `kb build` with the case files
(kb.casefiles.read_corpus: file, line and field on any problem, duplicates included). It
lists only what the records do not cover: topics they touch (GP engagement, contracts and
payment, consultation, procurement, provider failure, VAT) and borderline ones (urgent care
integration, care homes) are left out, and tests/data/test_elsewhere.py rejects an anchor
that echoes an evaluation question.

Each anchor is embedded at build time like the record words of kb/neighbours.py: a vector
in `embeddings` (kind "elsewhere", its id the anchor's text) with no `items` row, through
the content-hash store, so an unchanged anchor is never embedded twice. The engine reads
the best cosine of a question with any of them as one input of its "answered" decision
(kb/relevance.py).
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kb.items import Item

KIND = "elsewhere"  # the anchors' kind in `embeddings`
MIN_WORDS, MAX_WORDS = 6, 20  # a topic in a line: long enough to mean one thing, short enough to stay one
# How a question opens; a topic never does (the engine compares questions with topics).
QUESTION_WORDS = frozenset("how why what when where who whom whose which can could should shall "
                           "is are was were do does did will would may might".split())


def _anchor(value: str) -> str:
    value = " ".join(value.split())
    words = len(value.split())
    if not MIN_WORDS <= words <= MAX_WORDS:
        raise ValueError(f"expected a topic of {MIN_WORDS} to {MAX_WORDS} words, got {words}")
    if value.endswith("?") or value.split()[0].lower() in QUESTION_WORDS:
        raise ValueError("expected a topic, not a question: phrase it as what the question is "
                         "about (\"dental charges\", not \"why do dental charges rise?\")")
    return value


AnchorText = Annotated[str, AfterValidator(_anchor)]
Area = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class Anchor(NamedTuple):
    """One out-of-scope topic and the area it belongs to (its text is what a question is
    compared with; the area names it to the user)."""

    area: str
    text: str


class Topic(BaseModel):
    """One area (e.g. "dentistry") and its anchors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    area: Area
    anchors: list[AnchorText] = Field(min_length=1)


class ElsewhereFile(BaseModel):
    """data/elsewhere.yaml: `topics`, a list of {area, anchors}."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    topics: list[Topic] = Field(min_length=1)

    def anchors(self) -> list[Anchor]:
        return [Anchor(topic.area, text) for topic in self.topics for text in topic.anchors]


def anchor_key(text: str) -> str:
    """What makes two anchors the same: case and spacing do not."""
    return " ".join(text.lower().split())


def anchor_items(anchors: list[Anchor]) -> list[Item]:
    """One embedding entry per anchor (vectors only: anchors are compared, never listed)."""
    return [Item(kind=KIND, id=anchor.text, case="", title=anchor.area, text=anchor.text)
            for anchor in anchors]
