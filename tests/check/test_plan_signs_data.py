"""The curated plan signs stay unlike the labelled plans in tests/plans/ (read as `kb check`
reads a plan), so that the plans measure the checker, not the signs' memory of them.

Beside the check tests rather than the record tests because it reads plans with the
ingest package's readers; the core's tests never import ingest."""

from __future__ import annotations

import re

import pytest

from kb import config
from kb.casefiles import read_corpus


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(config.PROJECT_ROOT / "data")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def test_every_lesson_has_plan_signs_unlike_any_test_plan(corpus):
    """The plan signs (what a lesson looks like in a plan, for `kb check`) were written by
    curators who never saw the labelled plans in tests/plans/; they must stay unlike every
    sentence of those plans, or the plans would measure the signs' memory of them."""
    from ingest.passages import split
    from ingest.readers import read
    from ingest.text import sentences
    from bench.plan_evaluate import PLANS_DIR

    plan_sentences = [_words(sentence) for path in sorted(PLANS_DIR.glob("*.md"))
                      for passage in split(read("markdown", path.read_bytes()))
                      for line in passage.text.split("\n") for sentence in sentences(line)
                      if len(sentence.split()) >= 4]
    assert len(plan_sentences) > 300
    for case_file in corpus.cases:
        for lesson in case_file.lessons:
            signs = lesson.plan_signs
            assert signs and len(signs.warning) >= 3 and len(signs.covered) >= 3, lesson.id
            for sign in [*signs.warning, *signs.covered]:
                words = _words(sign)
                closest = max(len(words & p) / len(words | p) for p in plan_sentences)
                assert closest < 0.7, (lesson.id, sign)
