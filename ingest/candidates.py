"""Candidate lessons: sentences of ingested passages that read as lessons, for review.

A sentence or bullet is a candidate when it uses the language of lessons and advice ("the
need to", "should", "lessons", "learning", "we would have benefited from", "recommend",
"with hindsight"…); the phrase that matched is kept as the candidate's `cue`. Each
candidate is tagged with the themes whose descriptions (kb.vocabulary, written to be
embedded) are closest in meaning, and with the closest stage, which `kb candidates
--accept` proposes when it writes the lesson. MARGIN and MAX_THEMES were chosen by
tagging the curated lessons and comparing with their curators' themes (see the note).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

import numpy as np

from ingest.passages import Passage
from ingest.text import sentences, word_count
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
MARGIN = 0.06     # themes within this cosine of the best one are tagged too
MAX_THEMES = 3


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

    def tag(self, texts: list[str]) -> list[Tag]:
        if not texts:
            return []
        vectors = self._encode(texts)
        theme_scores = vectors @ self._theme_vectors.T
        stage_scores = vectors @ self._stage_vectors.T
        tags = []
        for themes, stages in zip(theme_scores, stage_scores):
            order = np.argsort(-themes)[:MAX_THEMES]
            best = float(themes[order[0]])
            chosen = tuple(self._themes[j] for j in order if themes[j] >= best - MARGIN)
            tags.append(Tag(themes=chosen, stage=self._stages[int(np.argmax(stages))],
                            score=round(best, 4)))
        return tags
