"""Candidate lessons: sentences of ingested passages that read as lessons, for review.

A sentence or bullet is a candidate when it uses the language of lessons and advice ("the
need to", "should", "lessons", "learning", "we would have benefited from", "recommend",
"with hindsight"…); the phrase that matched is kept as the candidate's `cue`. Each
candidate is tagged with the themes whose descriptions (kb.vocabulary, written to be
embedded) are closest in meaning, and with the closest stage, which `kb candidates
--accept` proposes when it writes the lesson.

A theme is tagged only when the sentence is clearly about it: its cosine to the theme's
description, less a share of its mean cosine to all of them (a title or a citation is a
little like every theme), must reach a floor and lie near the sentence's best theme.
Those values are in ingest/theme_calibration.py, written by `bench/themes.py --write`
from the labelled sentences of tests/ingest/themes.yaml (split tune), which reports the
held-out precision and recall: 0.62 and 0.30 on the 75 held-out sentences, against 0.31
and 0.51 when every sentence got its nearest themes (a title or a shared record sentence
then got `tax-vat` as readily as anything). A sentence about nothing in particular gets no
theme, and accepting it then asks for one.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

import numpy as np

from ingest.passages import Passage
from ingest.text import sentences, word_count
from ingest.theme_calibration import CALIBRATION, ThemeCalibration
from kb.embeddings import Embedder
from kb.vocabulary import STAGES, THEMES

CUES = re.compile(r"""\b(?:
    the\ need\ (?:to|for) | needs?\ to | needed\ to
  | should | ought\ to | must
  | lessons?(?:\ (?:learn[et]d?|to\ be\ learn[et]))? | learning | learn[et]
  | would\ have\ benefit+ed\ from | would\ have\ been\ (?:better|helpful|useful)
  | recommend(?:s|ed|ing|ations?)?
  | (?:with|in)\ hindsight | in\ future
  | it\ is\ (?:important|essential|vital|critical)\ (?:to|that)
)\b""", re.IGNORECASE | re.VERBOSE)

MIN_WORDS, MAX_WORDS = 6, 70


@dataclass(frozen=True)
class Found:
    passage: Passage
    ordinal: int      # position among the document's candidates
    text: str
    cue: str


@dataclass(frozen=True)
class Tag:
    themes: tuple[str, ...]
    stage: str
    score: float      # cosine to the best theme: how clearly the sentence is about one


def find(passages: list[Passage]) -> list[Found]:
    """The sentences of `passages` that read as lessons, once each, in document order."""
    found: list[Found] = []
    seen: set[str] = set()
    for passage in passages:
        for block in passage.text.split("\n"):
            for sentence in sentences(block.removeprefix("• ")):
                cue = CUES.search(sentence)
                key = sentence.lower()
                if cue and MIN_WORDS <= word_count(sentence) <= MAX_WORDS and key not in seen:
                    seen.add(key)
                    found.append(Found(passage, len(found) + 1, sentence, cue.group(0).lower()))
    return found


def candidate_id(document_id: str, text: str) -> str:
    """Stable across re-ingests and rebuilds: the same sentence of the same document."""
    digest = hashlib.blake2b(f"{document_id}\n{text}".encode(), digest_size=5).hexdigest()
    return f"c-{digest}"


class ThemeTagger:
    """Themes and stage by cosine similarity to the vocabulary's descriptions."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.seconds = 0.0  # time in the model, for the ingest's figures
        self._themes = list(THEMES)
        self._stages = list(STAGES)
        vectors = self._encode(list(THEMES.values()) + list(STAGES.values()))
        self._theme_vectors, self._stage_vectors = vectors[:len(THEMES)], vectors[len(THEMES):]

    def _encode(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.embedder.encode(texts)
        self.seconds += time.perf_counter() - started
        return vectors

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Cosines of each text to each theme (in THEMES' order) and to each stage."""
        vectors = self._encode(texts)
        return vectors @ self._theme_vectors.T, vectors @ self._stage_vectors.T

    def tag(self, texts: list[str], calibration: ThemeCalibration = CALIBRATION) -> list[Tag]:
        if not texts:
            return []
        theme_scores, stage_scores = self.scores(texts)
        return [Tag(themes=tuple(self._themes[j] for j in chosen(themes, calibration)),
                    stage=self._stages[int(np.argmax(stages))],
                    score=round(float(themes.max()), 4))
                for themes, stages in zip(theme_scores, stage_scores)]


def chosen(scores: np.ndarray, calibration: ThemeCalibration) -> list[int]:
    """The indices of the themes tagged for one sentence's cosines `scores`, best first."""
    contrasted = scores - calibration.contrast * scores.mean()
    order = np.argsort(-contrasted)[:calibration.max_themes]
    best = contrasted[order[0]]
    return [int(j) for j in order
            if contrasted[j] >= best - calibration.margin and contrasted[j] >= calibration.min_score]
