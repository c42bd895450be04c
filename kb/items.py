"""Searchable items: every record as one (kind, id, case, title, text, …) row.

The `text` of an item is exactly what is embedded and full-text indexed, so its content
hash decides whether a record must be embedded again. Keep these texts stable: changing
one re-embeds every record of that kind on the next build.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field

import numpy as np

from kb.embeddings import content_hash, dot_products, from_blobs
from kb.records import Case, CaseFile, Lesson, Source, lesson_strength


@dataclass(frozen=True)
class Item:
    kind: str
    id: str
    case: str
    title: str
    text: str
    themes: tuple[str, ...] = ()
    stage: str | None = None
    outcome: str | None = None
    strength: str | None = None  # a lesson's (kb.records.strength)
    source: str | None = None
    source_title: str | None = None
    locator: str | None = None
    content_hash: str = field(init=False)

    def __post_init__(self):
        # NFKC, as queries are (kb/query.py): full-width letters and ligatures are indexed
        # as the letters a user types.
        for name in ("title", "text"):
            object.__setattr__(self, name, unicodedata.normalize("NFKC", getattr(self, name)))
        object.__setattr__(self, "content_hash", content_hash(self.text))

    def row(self) -> dict:
        row = asdict(self)
        row["themes"] = json.dumps(list(self.themes))
        return row


def case_file_items(case_file: CaseFile, sources: dict[str, Source]) -> list[Item]:
    case = case_file.case
    primary = sources[case.sources[0]]
    items = [Item(kind="case", id=case.slug, case=case.slug, title=case.name,
                  text=case_text(case), source=primary.id, source_title=primary.title)]
    standings = {id: source.standing for id, source in sources.items()}
    for lesson in case_file.lessons:
        evidence = lesson.evidence[0]
        items.append(Item(
            kind="lesson", id=lesson.id, case=case.slug, title=lesson.title,
            text=lesson_text(lesson),
            themes=tuple(lesson.themes), stage=lesson.stage, outcome=lesson.outcome,
            strength=lesson_strength(lesson, standings),
            source=evidence.source, source_title=sources[evidence.source].title,
            locator=evidence.locator))
    for fact in case_file.facts:
        when = f" ({fact.date})" if fact.date else ""
        note = f" {fact.note}" if fact.note else ""
        items.append(Item(
            kind="fact", id=fact.id, case=case.slug, title=f"{fact.label}: {fact.value}",
            text=f"{case.name}: {fact.label}: {fact.value}{when}.{note}",
            source=fact.source, source_title=sources[fact.source].title, locator=fact.locator))
    return items


PART_KIND = "part"


def lesson_parts(lesson: Lesson) -> list[tuple[str, str]]:
    """A lesson's parts as (name, text): what happened, the lesson, the recommendation and
    each curated question. Each is embedded on its own at build time (kind "part", id
    "<lesson id>#<name>", a vector with no items row): the engine scores a lesson by its
    closest part as well as by its whole text, and the why line of a hit found by meaning
    names that part."""
    parts = [("event", lesson.event), ("lesson", lesson.lesson),
             ("recommendation", lesson.recommendation)]
    parts += [(f"question-{n}", q) for n, q in enumerate(lesson.questions, start=1)]
    return [(name, text) for name, text in parts if text]


def part_items(case_files: list[CaseFile]) -> list[Item]:
    return [Item(kind=PART_KIND, id=f"{lesson.id}#{name}", case=case_file.case.slug,
                 title=name, text=text)
            for case_file in case_files for lesson in case_file.lessons
            for name, text in lesson_parts(lesson)]


@dataclass
class Parts:
    """The lessons' part vectors, as the build stored them: each part's lesson rowid, name
    and vector (the engine's field-level matching, and the query adapter's training set)."""

    items: np.ndarray
    names: list[str]
    vectors: np.ndarray

    def __post_init__(self):
        # The parts grouped by lesson, for one maximum.reduceat per query.
        self._order = np.argsort(self.items, kind="stable")
        self.lessons, self._starts = np.unique(self.items[self._order], return_index=True)

    def best(self, queries: list[np.ndarray]) -> np.ndarray:
        """Each lesson's best part cosine with each query vector: a row per lesson in the
        order of `lessons` (ascending rowids), a column per query."""
        scores = dot_products(self.vectors, queries)
        if not len(self.items):
            return scores
        return np.maximum.reduceat(scores[self._order], self._starts)


def read_parts(conn, dimensions: int) -> Parts:
    """The lesson parts' vectors stored in `embeddings` (kind PART_KIND), with the rowids of
    their lessons."""
    lessons = dict(conn.execute(
        "select items.id, items.item from items join embeddings on embeddings.kind = "
        "items.kind and embeddings.id = items.id where items.kind = 'lesson'"))
    names, items, vectors = [], [], []
    for id, vector in conn.execute("select id, vector from embeddings where kind = ? "
                                   "order by id", [PART_KIND]):
        lesson, _, name = id.partition("#")
        if lesson in lessons:
            names.append(name)
            items.append(lessons[lesson])
            vectors.append(vector)
    return Parts(items=np.array(items, dtype=np.int64), names=names,
                 vectors=from_blobs(vectors, dimensions))


def lesson_text(lesson: Lesson) -> str:
    """Title, lesson, recommendation, event, the evidence's paraphrases and the curated
    questions: the evidence often holds the figure a question asks for (bench/retrieval.py:
    MRR 0.859 → 0.879 on the public questions, 0.745 → 0.748 held out), and the questions
    hold the everyday words that neither the record nor a small model supplies (hit@3
    0.935 → 0.952 public, 0.80 → 0.88 held out; embedding each question as a vector of its
    own, scored by the best match, did worse: 0.927 public)."""
    evidence = " ".join(e.paraphrase for e in lesson.evidence)
    questions = " ".join(lesson.questions)
    return (f"{lesson.title}. {lesson.lesson} {lesson.recommendation} {lesson.event} "
            f"{evidence} {questions}").rstrip()


def case_text(case: Case) -> str:
    return (f"{case.name}. {case.summary} Commissioner: {case.commissioner}. "
            f"Care model: {case.care_model}. Contract: {case.contract_form}. "
            f"Outcome: {case.outcome}")


def passage_item(passage: dict, document: dict) -> Item:
    """A passage row (and its document row) as an item: cited by document title and locator."""
    heading = passage.get("heading")
    title = f"{document['title']} — {passage['locator']}"
    text = f"{heading}. {passage['text']}" if heading else passage["text"]
    return Item(kind="passage", id=passage["id"], case=passage["case"], title=title, text=text,
                source=document["id"], source_title=document["title"], locator=passage["locator"])
