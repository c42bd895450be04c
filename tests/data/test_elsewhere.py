"""data/elsewhere.yaml, the topics this knowledge base does not cover (#11): the real file
validates and is broad, a malformed one is reported by file, line and field, and no anchor
is taken from the evaluation questions or restates what the records cover."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bench.evaluate import load_queries
from kb.casefiles import read_corpus
from kb.elsewhere import MAX_WORDS, MIN_WORDS
from kb.errors import RecordErrors
from kb.items import lesson_text
from tests.conftest import DATA
from tests.data.test_records import EVALUATION_SETS, _words

SHARED_RUN = 5  # words in a row an anchor may not share with an evaluation question
# How close (cosine, all-MiniLM-L6-v2) an anchor may come to a lesson or one of its curated
# questions: the real file's nearest pair is 0.61 (a private-ambulance anchor and a question
# about the UnitingCare company), its median anchor's nearest 0.40.
TOO_CLOSE = 0.7


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(DATA)


def test_the_real_file_is_broad_and_every_anchor_is_one_short_line(corpus):
    anchors = corpus.elsewhere
    assert len(anchors) >= 250
    areas = {a.area for a in anchors}
    assert len(areas) >= 20
    assert {"dentistry and oral health", "hospital operations", "IT systems and cyber security",
            "non-health public services"} <= areas
    assert all(MIN_WORDS <= len(a.text.split()) <= MAX_WORDS for a in anchors)
    assert len({a.text.lower() for a in anchors}) == len(anchors)


def _line_of(path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_malformed_file_names_file_line_and_field(data_copy):
    path = data_copy / "elsewhere.yaml"
    text = path.read_text()
    dentistry = "  - area: dentistry and oral health\n    anchors:\n"
    assert text.count(dentistry) == 1 and text.startswith("#") and text.endswith("\n")
    text = text.replace(dentistry, dentistry.replace("    anchors:", "    note: teeth\n    anchors:")
                        + "      - root canals\n"
                        + "      - why have dental charges gone up again this spring?\n"
                        + "      - How do I complain about a dentist who refused treatment\n")
    path.write_text(text + "      - Fluoride added to  TAP WATER to reduce tooth decay in children\n")
    with pytest.raises(RecordErrors) as caught:
        read_corpus(data_copy)
    errors = {e.field: e for e in caught.value.errors}
    assert all(e.path == str(path) for e in errors.values())
    assert set(errors) >= {"topics[2].note", "topics[2].anchors[0]", "topics[2].anchors[1]"}
    assert errors["topics[2].note"].line == _line_of(path, "note: teeth")
    assert "unknown field" in errors["topics[2].note"].problem
    assert errors["topics[2].anchors[0]"].line == _line_of(path, "- root canals")
    assert "expected a topic of 6 to 20 words, got 2" in errors["topics[2].anchors[0]"].problem
    assert errors["topics[2].anchors[1]"].line == _line_of(path, "dental charges gone up")
    assert "not a question" in errors["topics[2].anchors[1]"].problem
    assert errors["topics[2].anchors[2]"].line == _line_of(path, "How do I complain")
    assert "not a question" in errors["topics[2].anchors[2]"].problem
    (duplicate,) = [e for e in errors.values() if "duplicate anchor" in e.problem]
    assert duplicate.line == len(text.splitlines()) + 1
    assert re.fullmatch(r"topics\[\d+\]\.anchors\[\d+\]", duplicate.field)
    assert f"also on line {_line_of(path, '- fluoride added to tap')}" in duplicate.problem
    assert str(caught.value).count("elsewhere.yaml, line ") == len(errors)


def test_a_repeated_area_is_reported_where_it_repeats(data_copy):
    path = data_copy / "elsewhere.yaml"
    path.write_text(path.read_text() + "  - area: Dentistry and oral health\n    anchors:\n"
                    "      - gum disease treatment and deep cleaning by a periodontist\n")
    with pytest.raises(RecordErrors) as caught:
        read_corpus(data_copy)
    (error,) = caught.value.errors
    assert error.line == _line_of(path, "area: Dentistry") and error.field.endswith(".area")
    assert f"also on line {_line_of(path, 'area: dentistry')}" in error.problem


def test_anchors_are_not_taken_from_the_evaluation_questions(corpus):
    """Written without sight of the query sets (the out-of-scope set among them), the
    anchors must stay unlike them, as the curated questions must: an anchor that echoes an
    evaluation question would measure the file's memory of the test, not the search. The
    failure names only the anchor, so it is rewritten without reading the question."""
    evaluation = [_words(q.q) for q in load_queries(EVALUATION_SETS)]
    runs = set().union(*(_runs(q.q) for q in load_queries(EVALUATION_SETS)))
    echoing = []
    for anchor in corpus.elsewhere:
        words = _words(anchor.text)
        closest = max(len(words & e) / len(words | e) for e in evaluation)
        if closest >= 0.7 or _runs(anchor.text) & runs:
            echoing.append(anchor.text)
    assert not echoing


@pytest.mark.slow  # embeds every lesson, its questions and every anchor: 58 s at load 12
def test_no_anchor_restates_what_the_records_cover(corpus, embedder):
    lessons = [lesson for case_file in corpus.cases for lesson in case_file.lessons]
    covered = embedder.encode([lesson_text(l) for l in lessons]
                              + [q for l in lessons for q in l.questions])
    anchors = embedder.encode([a.text for a in corpus.elsewhere])
    nearest = (anchors @ covered.T).max(axis=1)
    assert np.all(np.isfinite(nearest))
    assert [a.text for a, n in zip(corpus.elsewhere, nearest) if n >= TOO_CLOSE] == []


def _runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + SHARED_RUN]) for i in range(len(words) - SHARED_RUN + 1)}
