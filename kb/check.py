"""Checking a plan: a commissioner's own plan held against every lesson.

One engine for `kb check`, the TUI's review screen and the browser's /-/check, so a plan
gets the same review everywhere. A plan arrives as passages (text and locator, split into
sentences by the ingest readers); the engine embeds each sentence once and compares it
with every lesson's plan signs (kb/signs.py): `warning` signs say what a plan heading into
the lesson's problem says, `covered` signs what a plan doing its recommendation says.

Per lesson, w (warning) and c (covered) are each the mean of its best `top_signs` signs,
every sign scored on its nearest plan sentence (cosine, plus a bonus for the share of the
sign's word stems the sentence uses). Measured on the tune plans (bench/check.py): the
mean of the best three signs beat the single best, the keyword bonus helped a little, the
negation cue below helped (1.29 → 1.35 without and with it), and most of all a contrast:
from each sentence's score is taken `contrast` times its background, its mean match with
the 2nd–4th best lessons (see `_background`; 1.23 → 1.35). Then, with
the thresholds of kb/check_calibration.py (`Calibration.classify`):
- a lesson **applies** when max(w, c) reaches `applies`, or w reaches `warning`; lessons
  that apply to nothing are not listed (and a plan nothing applies to says so);
- it is **covered** when c reaches `covered` and is not beaten by w by more than `margin`;
- it is a **red flag** when it went wrong and w reaches `red_flag` (the plan repeats its
  driving event), and it is not covered;
- otherwise it is a **gap**: it applies, and nothing in the plan does what it recommends.
Sentence matching cannot see what a plan leaves out, so a plan silent on a lesson of its
own stage is also checked (`PlanChecker.statuses`): the plan's stages are those of the
lessons above (`Calibration.plan_stages`), and a lesson of those stages with an outcome a
plan must answer for, not foreign to it (its topic, the mean plain match of all its signs,
reaches `silent_floor`) and not covered, is a **silent gap**, listed with no place in the
plan. Measured by bench/check.py, red-flag+gap precision and recall went from 0.41/0.40
to 0.37/0.65 on the tune plans, and from 0.36/0.31 to 0.39/0.52 on the held-out ones.
Signs matter more than any threshold: 206 warning signs that described an absence ("the
plan does not mention VAT") matched the wrong sentences, since no plan says that of itself;
restated as what a plan heading into the problem says (written blind to the test plans),
and recalibrated, red-flag+gap went from 0.36/0.55 to 0.49/0.65 on the tune plans and from
0.41/0.50 to 0.48/0.46 held out, red flags alone from 0.86/0.43 to 0.93/0.50 held out,
while covered recall fell (0.82 to 0.69 tune, 0.80 to 0.63 held out) and the calibration
dropped the keyword bonus (its weight is now 0).
A covered-sign match in a sentence that says it will *not* do the thing ("we do not
propose to…", "no … is planned") counts as a warning match instead: the plan has
considered the recommendation and declined it.

Every threshold is calibrated on the labelled tune plans by bench/check.py, which writes
kb/check_calibration.py (the figures are in its docstring); rerun it after changing the
model file, which moves every score slightly.

Measured and not kept (red-flag+gap precision/recall on the tune plans, then with each
tune plan judged by thresholds searched on the other four, `bench/check.py --lopo`; this
design: 0.36/0.55, 0.28/0.45). Of the nine tune red flags and gaps it misses
(`bench/check.py --misses`), six are lessons the plan is silent on (in one of them, and
one more, the contrast cuts a sign's match with the right sentence), two have no sign near
the plan's words.
- The topic less the plan's median topic (a longer plan raises every topic): 0.38/0.60,
  0.33/0.55, but held out 0.40/0.46 against 0.41/0.50, so not shipped.
- A stage counted as the plan's from a share of its own lessons, not of those that apply:
  0.36/0.60, but 0.29/0.35 left out.
- The background taken from lessons further down (skip 3 or 6, or 8 deep): the best tune
  objective, reached by listing less: 0.55/0.40, 0.52/0.35.
- On top of that median-less topic, whole passages matched beside their sentences:
  0.39/0.60, 0.29/0.35; a keyword bonus weighted by how rare a stem is among the signs:
  0.40/0.65, 0.29/0.45.
- A topic floor of its own for silent guidance lessons: not chosen on the tune plans
  with this design's scores.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import dataclass, field

import numpy as np
import snowballstemmer

from kb.check_calibration import CALIBRATION, Calibration
from kb.query import STOPWORDS
from kb.search import Filters, SearchEngine
from kb.signs import Signs
from kb.vocabulary import STAGES, label

STATUSES = ("red-flag", "gap", "covered")
PLACES = 3            # plan places shown per lesson
PLACE_MARGIN = 0.1    # further places shown only if their cosine is this close to the first's
MAX_SENTENCES = 5000  # a plan of ~200 pages; more is refused by the front-ends' size limits
# Sentences per model call: on this 2-core machine under load, a two-page plan's 55
# sentences took 1.23 s in batches of 8 against 2.0 s in the default 32 (less padding).
BATCH = 8
NOTHING_APPLIES = "Nothing in the knowledge base applies to this plan."
_SILENT = ("a lesson of the {stage} stage, which the plan reaches, and nothing in the plan "
           "deals with it or does what it recommends")

# A sentence that declines to do something. Only cues that a plan uses to say it will not
# act; "no" alone is too common ("no later than") to count.
_NEGATION = re.compile(
    r"\b(?:(?:do|does|will|shall|are|is|would|can|have|has)\s+not|(?:won|don|doesn|isn|aren)'?t"
    r"|no\s+(?:plans?|intention|need|provision|separate|additional|further|budget|allowance)"
    r"|not\s+(?:be\s+)?(?:planned|proposed|required|needed|necessary|considered|included|"
    r"assessed|funded|budgeted)|without|rather\s+than|instead\s+of|nor)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z0-9'-]+")
_STEMMER = snowballstemmer.stemmer("porter")


@dataclass(frozen=True)
class PlanPassage:
    """A passage of the plan: where it is (page, slide, section) and its sentences."""

    locator: str
    text: str
    sentences: tuple[str, ...] = ()


@dataclass
class Plan:
    title: str
    path: str
    passages: list[PlanPassage]


@dataclass
class Place:
    """A sentence of the plan that a lesson concerns, and the words that triggered it."""

    locator: str
    text: str
    score: float
    words: list[str]
    sign: str  # the plan sign it matched

    def to_json(self) -> dict:
        return {"locator": self.locator, "text": self.text, "score": round(self.score, 4),
                "words": self.words}


@dataclass
class LessonInfo:
    id: str
    case: str
    title: str
    stage: str
    themes: list[str]
    outcome: str
    recommendation: str
    source_title: str
    locator: str
    case_name: str

    def to_json(self) -> dict:
        return {"id": self.id, "case": self.case, "title": self.title, "stage": self.stage,
                "themes": self.themes, "outcome": self.outcome,
                "recommendation": self.recommendation,
                "source": {"title": self.source_title, "locator": self.locator}}


@dataclass
class ReviewItem:
    status: str
    lesson: LessonInfo
    places: list[Place]
    strength: float
    why: str

    def to_json(self) -> dict:
        return {"status": self.status, "lesson": self.lesson.to_json(),
                "plan": [p.to_json() for p in self.places], "why": self.why}


@dataclass
class Review:
    plan: Plan
    items: list[ReviewItem]
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def of(self, status: str) -> list[ReviewItem]:
        return [i for i in self.items if i.status == status]

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.of(s)) for s in STATUSES}

    @property
    def summary(self) -> str:
        """"31 lessons apply to this plan: 4 red flags, 9 gaps, 18 already covered"."""
        if not self.items:
            return NOTHING_APPLIES
        n = self.counts
        return (f"{_count(len(self.items), 'lesson')} appl{'ies' if len(self.items) == 1 else 'y'}"
                f" to this plan: {_count(n['red-flag'], 'red flag')}, {_count(n['gap'], 'gap')}, "
                f"{n['covered']} already covered")

    def to_json(self) -> dict:
        """The stable JSON shape other tools read (README, `kb check --json`)."""
        n = self.counts
        return {"plan": {"title": self.plan.title, "path": self.plan.path,
                         "passages": len(self.plan.passages)},
                "summary": {"applies": len(self.items), "red_flags": n["red-flag"],
                            "gaps": n["gap"], "covered": n["covered"]},
                "items": [i.to_json() for i in self.items]}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass
class _Sentences:
    locators: list[str]
    texts: list[str]
    negated: np.ndarray      # bool per sentence
    words: list[set[str]]    # content words per sentence


class PlanChecker:
    """Reviews plans against the lessons of `engine`'s database, with its model."""

    def __init__(self, engine: SearchEngine, calibration: Calibration = CALIBRATION):
        self.engine = engine
        self.calibration = calibration
        self._signs: Signs | None = None
        self._lessons: dict[str, LessonInfo] | None = None
        self._loaded_for = None

    def _load(self) -> None:
        self.engine.refresh()
        if self._loaded_for is self.engine.conn:
            return
        conn = self.engine.conn
        self._signs = Signs.load(conn, self.engine.dimensions)
        self._sign_words = [_content_words(t) for t in self._signs.texts]
        self._sign_rows: dict[str, np.ndarray] = {}
        for n, lesson in enumerate(self._signs.lessons):
            self._sign_rows.setdefault(lesson, []).append(n)
        self._sign_rows = {k: np.array(v) for k, v in self._sign_rows.items()}
        self._lesson_order = list(self._sign_rows)
        position = {lesson: n for n, lesson in enumerate(self._lesson_order)}
        self._sign_lesson = np.array([position[lesson] for lesson in self._signs.lessons],
                                     dtype=np.int64)
        self._lessons = {r[0]: LessonInfo(r[0], r[1], r[2], r[3], json.loads(r[4] or "[]"), r[5],
                                          r[6], r[7] or "", r[8] or "", r[9] or r[1])
                         for r in conn.execute(
            "select lessons.id, lessons.\"case\", lessons.title, lessons.stage, lessons.themes, "
            "lessons.outcome, lessons.recommendation, sources.title, lessons.locator, cases.name "
            "from lessons left join sources on sources.id = lessons.source "
            "left join cases on cases.slug = lessons.\"case\"")}
        self._loaded_for = conn

    def warm_up(self) -> None:
        self.engine.load_embedder()
        self._load()

    def check(self, plan: Plan, *, filters: Filters = Filters()) -> Review:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        self._load()
        sentences = _sentences(plan, self.calibration.min_words)
        timings["load"] = time.perf_counter() - started
        if not sentences.texts or not len(self._signs.texts):
            return Review(plan, [], time.perf_counter() - started, timings)
        at = time.perf_counter()
        vectors = self._encode(sentences.texts)
        timings["embed"] = time.perf_counter() - at
        at = time.perf_counter()
        items = self._decide(sentences, vectors, filters)
        timings["decide"] = time.perf_counter() - at
        return Review(plan, items, time.perf_counter() - started, timings)

    # -- scoring ------------------------------------------------------------------------
    def embed(self, plan: Plan) -> tuple[_Sentences, np.ndarray]:
        """The plan's sentences and their vectors (bench/check.py embeds each plan once)."""
        self._load()
        sentences = _sentences(plan, self.calibration.min_words)
        return sentences, self._encode(sentences.texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`, each distinct sentence embedded once (plans repeat themselves:
        headings, boilerplate, a summary restated)."""
        distinct = list(dict.fromkeys(texts))
        vectors = self.engine.load_embedder().encode(distinct, batch_size=BATCH)
        row = {text: n for n, text in enumerate(distinct)}
        return vectors[[row[t] for t in texts]]

    def scores(self, sentences: _Sentences,
               vectors: np.ndarray) -> dict[str, tuple[float, float, float]]:
        """(w, c, topic) per lesson before any threshold: what bench/check.py calibrates on."""
        self._load()
        if not sentences.texts:
            return {}
        return {lesson: (w[0], c[0], topic)
                for lesson, (w, c, topic) in self._best(sentences, vectors).items()}

    def _best(self, sentences: _Sentences,
              vectors: np.ndarray) -> dict[str, tuple[Match, Match, float]]:
        """Per lesson, its warning and covered match: the mean of its `top_signs` best signs'
        scores, each sign scored on its best plan sentence (cosine plus the keyword bonus);
        the sentence and sign kept are the best one's. Then its topic: the mean over all its
        signs of their best plain cosine with a plan sentence, how much of the lesson's
        ground the plan walks over at all (for silent gaps: on the tune plans it ranked
        the labelled silent gaps above the other unlisted lessons a little better than
        max(w, c) did, 0.70 against 0.67 area under the curve, per plan mean)."""
        cal, signs = self.calibration, self._signs
        scores = signs.matrix @ vectors.T                            # (signs, sentences)
        topic = scores.max(axis=1)
        if cal.contrast:
            scores -= cal.contrast * self._background(scores)[None, :]
        depth = min(cal.keyword_depth, scores.shape[1])
        nearest = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
        for s, row in enumerate(nearest):  # the keyword bonus, on each sign's nearest sentences
            for u in row:
                scores[s, u] += cal.keyword_weight * _overlap(self._sign_words[s],
                                                              sentences.words[u])
        covered = signs.kinds == "covered"
        declined = sentences.negated if cal.negation else np.zeros(len(sentences.texts), bool)
        # A covered sign met by a sentence that declines it is a warning match, not covered.
        as_warning = np.where(~covered[:, None] | declined[None, :], scores, -np.inf)
        as_covered = np.where(covered[:, None] & ~declined[None, :], scores, -np.inf)
        best: dict[str, tuple[Match, Match, float]] = {}
        for lesson, rows in self._sign_rows.items():
            if lesson in self._lessons:
                best[lesson] = (_aggregate(as_warning[rows], rows, cal.top_signs),
                                _aggregate(as_covered[rows], rows, cal.top_signs),
                                float(topic[rows].mean()))
        return best

    def _background(self, scores: np.ndarray) -> np.ndarray:
        """Per sentence, how well it matches lessons in general: the mean of its best
        matches with the 2nd to (contrast_depth + 1)th lessons. A sentence that matches
        many lessons ("the programme will be governed by a board") says little about any
        one of them; subtracting this keeps what is specific to a lesson."""
        per_lesson = np.full((len(self._lesson_order), scores.shape[1]), -1.0, dtype=scores.dtype)
        np.maximum.at(per_lesson, self._sign_lesson, scores)
        depth = min(self.calibration.contrast_depth + 1, len(per_lesson))
        top = -np.partition(-per_lesson, depth - 1, axis=0)[:depth]   # unordered best rows
        return (top.sum(axis=0) - top.max(axis=0)) / max(depth - 1, 1)

    def statuses(self,
                 scores: dict[str, tuple[float, float, float]]) -> dict[str, tuple[str, bool]]:
        """Per listed lesson, its status and whether it is a silent gap, from every lesson's
        (w, c, topic) (filters apply after, so that `--stage` never changes the plan's stages).

        Sentence matching cannot see an absence: a plan that never mentions national
        assurance matches no sign of the assurance lessons. So after the lessons some
        passage is about, the plan's stages are read from theirs (`plan_stages`) and a
        lesson of those stages the plan is silent on is a gap too (`silent_gap`);
        bench/check.py calibrates both on the tune plans."""
        cal = self.calibration
        listed: dict[str, tuple[str, bool]] = {}
        for lesson, (w, c, _) in scores.items():
            status = cal.classify(w, c, self._lessons[lesson].outcome)
            if status is not None:
                listed[lesson] = (status, False)
        stages = cal.plan_stages([self._lessons[lesson].stage for lesson in listed])
        for lesson, (w, c, topic) in scores.items():
            info = self._lessons[lesson]
            if lesson not in listed and cal.silent_gap(c, topic, info.outcome, info.stage,
                                                       stages):
                listed[lesson] = ("gap", True)
        return listed

    def _decide(self, sentences: _Sentences, vectors: np.ndarray,
                filters: Filters) -> list[ReviewItem]:
        best = self._best(sentences, vectors)
        items = []
        for lesson_id, (status, silent) in self.statuses(
                {lesson: (w[0], c[0], topic) for lesson, (w, c, topic) in best.items()}).items():
            info = self._lessons[lesson_id]
            if not _allowed(info, filters):
                continue
            w, c, _ = best[lesson_id]
            strength = c[0] if status == "covered" else max(w[0], c[0])
            if silent:
                items.append(ReviewItem(status, info, [], strength, _SILENT.format(
                    stage=label(STAGES, info.stage).lower())))
                continue
            chosen = c if status == "covered" else w if w[0] >= c[0] else c
            places = self._places(sentences, vectors, lesson_id, chosen)
            items.append(ReviewItem(status, info, places, strength,
                                    _why(status, self._signs.texts[chosen[1]])))
        order = {s: n for n, s in enumerate(STATUSES)}
        items.sort(key=lambda i: (order[i.status], -i.strength, i.lesson.id))
        return items

    def _places(self, sentences: _Sentences, vectors: np.ndarray, lesson_id: str,
                chosen: tuple[float, int, int]) -> list[Place]:
        """The sentences nearest the chosen sign, one per passage locator, best first."""
        sign = chosen[1]
        scores = vectors @ self._signs.matrix[sign]
        places: list[Place] = []
        seen: set[str] = set()
        for u in [chosen[2], *np.argsort(-scores)]:
            u = int(u)
            locator = sentences.locators[u]
            if locator in seen:
                continue
            score = float(scores[u])
            if places and score < places[0].score - PLACE_MARGIN:
                break
            seen.add(locator)
            places.append(Place(locator, sentences.texts[u], score,
                                _shared(sentences.texts[u], self._sign_words[sign]),
                                self._signs.texts[sign]))
            if len(places) == PLACES:
                break
        return places


Match = tuple[float, int, int]  # (score, sign row, sentence index); sign -1: no match


def _aggregate(scores: np.ndarray, rows: np.ndarray, top: int) -> Match:
    """Mean of the best `top` signs' best sentences (signs with no possible match count 0)."""
    per_sign = scores.max(axis=1)
    sentence = scores.argmax(axis=1)
    per_sign = np.where(np.isfinite(per_sign), per_sign, 0.0)
    order = np.argsort(-per_sign)
    first = int(order[0])
    if per_sign[first] <= 0.0:
        return (0.0, -1, -1)
    return (float(per_sign[order[:top]].mean()), int(rows[first]), int(sentence[first]))


def _allowed(info: LessonInfo, filters: Filters) -> bool:
    return ((not filters.case or info.case in filters.case)
            and (not filters.stage or info.stage in filters.stage)
            and (not filters.outcome or info.outcome in filters.outcome)
            and (not filters.theme or bool(filters.theme & set(info.themes))))


def _why(status: str, sign: str) -> str:
    if status == "covered":
        return f"the plan does what the lesson recommends (like “{sign}”)"
    if status == "red-flag":
        return (f"the plan heads into what went wrong (it reads like “{sign}”), and nothing "
                "in it does what the lesson recommends")
    return (f"the plan deals with this matter (like “{sign}”), but nothing in it does what "
            "the lesson recommends")


def _sentences(plan: Plan, min_words: int) -> _Sentences:
    locators, texts = [], []
    for passage in plan.passages:
        for sentence in passage.sentences or (passage.text,):
            sentence = " ".join(sentence.split()).lstrip("• ")
            if len(sentence.split()) >= min_words:
                locators.append(passage.locator)
                texts.append(sentence)
    texts, locators = texts[:MAX_SENTENCES], locators[:MAX_SENTENCES]
    return _Sentences(locators, texts,
                      np.array([bool(_NEGATION.search(t)) for t in texts], dtype=bool),
                      [_content_words(t) for t in texts])


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2]


def _content_words(text: str) -> set[str]:
    """Porter stems of the content words, as the keyword index stores them."""
    return {_stem(w) for w in _words(text)}


@functools.lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    """Cached: the signs and a plan use a few thousand distinct words many times over."""
    return _STEMMER.stemWord(word)


def _shared(sentence: str, stems: set[str]) -> list[str]:
    """The plan's own words whose stems the sign shares: what triggered the match."""
    return list(dict.fromkeys(w for w in _words(sentence) if _stem(w) in stems))


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a) if a else 0.0
