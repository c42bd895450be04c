"""The curated records: complete, cited, covering every source, with stable ids."""

from __future__ import annotations

import itertools
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from kb.casefiles import read_corpus
from kb import config
from bench.evaluate import HOLDOUT_DIR, QUERY_DIR, load_queries, query_files
from kb.embedding_store import EmbeddingStore
from kb.embeddings import content_hash, from_blobs, to_blob
from kb.items import lesson_text
from kb.records import strength

DATA = config.PROJECT_ROOT / "data"
SOURCES_DIR = config.PROJECT_ROOT.parent / "shared" / "sources"
PUBLISHED_IDS = Path(__file__).parent / "published-ids.txt"
CASES = {"dudley", "sunderland", "west-london", "uniting-care", "nhs-england"}
EVALUATION_SETS = (query_files() + query_files(HOLDOUT_DIR) + query_files(QUERY_DIR / "out-of-scope")
                   + query_files(QUERY_DIR / "lay"))
# Capitals in the records that are names or references, not acronyms a user might spell out.
NOT_ACRONYMS = {"GBP", "HC", "ICF", "PB"}


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(DATA)  # validates every record against the schema, or raises


def test_the_five_cases_and_well_over_150_records(corpus):
    assert {c.case.slug for c in corpus.cases} == CASES
    assert corpus.lesson_count + corpus.fact_count > 150
    for case_file in corpus.cases:
        assert len(case_file.lessons) >= 10, case_file.case.slug
        assert len(case_file.facts) >= 10, case_file.case.slug


def test_lessons_have_themes_stage_and_evidence_from_their_own_case(corpus):
    for case_file in corpus.cases:
        own = set(case_file.case.sources)
        for lesson in case_file.lessons:
            assert lesson.themes and lesson.stage and lesson.evidence, lesson.id
            assert {e.source for e in lesson.evidence} <= own, lesson.id
        for fact in case_file.facts:
            assert fact.source in own and fact.locator, fact.id


def test_went_well_rests_on_a_reported_result_and_strength_follows_the_rule(corpus):
    """#14: a lesson is went-well only where its source reports a result (a finding), not on
    plans, decisions or forecasts alone; and the strength rule reads as documented."""
    for case_file in corpus.cases:
        for lesson in case_file.lessons:
            if lesson.outcome == "went-well":
                assert any(e.kind == "finding" for e in lesson.evidence), lesson.id
    assert strength([("independent-review", "finding"), ("partner-review", "finding")]) == "strong"
    assert strength([("independent-review", "finding")]) == "moderate"
    assert strength([("own-report", "finding"), ("own-report", "finding")]) == "moderate"
    assert strength([("national-guidance", "decision")]) == "moderate"
    assert strength([("own-report", "plan"), ("independent-review", "forecast")]) == "weak"
    standings = {s.id: s.standing for s in corpus.sources}
    assert standings["ggi-dudley-2018"] == "partner-review"  # GGI is Dudley's governance partner


def test_related_links_are_symmetric_and_cross_case(corpus):
    case_of = {l.id: cf.case.slug for cf in corpus.cases for l in cf.lessons}
    related = {l.id: set(l.related) for cf in corpus.cases for l in cf.lessons}
    for lesson, others in related.items():
        for other in others:
            assert case_of[other] != case_of[lesson], (lesson, other)
            assert lesson in related[other], f"{other} does not link back to {lesson}"
    assert sum(map(len, related.values())) >= 40


def test_every_source_document_is_cited(corpus):
    """Coverage: for each source document, the records that cite it; none with zero."""
    cited = {s.id: 0 for s in corpus.sources}
    for case_file in corpus.cases:
        for lesson in case_file.lessons:
            for evidence in lesson.evidence:
                cited[evidence.source] += 1
        for fact in case_file.facts:
            cited[fact.source] += 1
    assert all(cited.values()), {s: n for s, n in cited.items() if not n}
    if SOURCES_DIR.exists():  # the originals sit beside the project in a full checkout
        files = {p.name for p in SOURCES_DIR.iterdir() if p.name != "README.md"}
        assert files == {s.reference for s in corpus.sources}


def test_published_ids_never_disappear(corpus):
    """Ids are cited from outside (notes, links, exports): once published, they stay, as
    a lesson or as a redirect to the lesson it was merged into. Add new ids to
    published-ids.txt; never remove one."""
    ids = {r.id for cf in corpus.cases for r in [*cf.lessons, *cf.facts]}
    merged = {r.old: r.new for r in corpus.redirects}  # data/redirects.yaml
    published = set(PUBLISHED_IDS.read_text().split())
    assert published - ids - set(merged) == set(), "a published id is gone: redirect it"
    assert ids - published == set(), "new ids: add them to tests/data/published-ids.txt"
    assert set(merged.values()) <= ids and not set(merged) & ids


def lesson_vectors(texts: list[str], embedder, db) -> np.ndarray:
    """The vectors of `texts`, read by content hash from `db` where it holds them (as a
    build reuses them) and embedded otherwise: the session's database holds every lesson's,
    so the check below took 48 s under load embedding all 152 again, and no longer
    embeds any."""
    hashes = [content_hash(text) for text in texts]
    with closing(sqlite3.connect(db)) as conn:
        known = EmbeddingStore(embedder.name, lambda: embedder).known_vectors(conn, set(hashes))
    missing = {h: text for h, text in zip(hashes, texts) if h not in known}
    if missing:
        known.update(zip(missing, map(to_blob, embedder.encode(list(missing.values())))))
    return from_blobs([known[h] for h in hashes], embedder.dimensions)


def test_no_near_duplicate_lessons_within_a_case(corpus, embedder, built_db):
    for case_file in corpus.cases:
        vectors = lesson_vectors([lesson_text(l) for l in case_file.lessons], embedder, built_db)
        similarity = vectors @ vectors.T
        pairs = [(a.id, b.id, round(float(similarity[i, j]), 3))
                 for (i, a), (j, b) in itertools.combinations(enumerate(case_file.lessons), 2)
                 if similarity[i, j] > 0.95]
        assert not pairs, pairs
        assert np.all(np.isfinite(similarity))


def test_every_lesson_has_everyday_questions_of_its_own(corpus):
    """The curated questions carry the words users search with. They were written without
    sight of the evaluation questions and must stay unlike them, or the query sets would
    measure the data's memory of themselves."""
    evaluation = [_words(q.q) for q in load_queries(EVALUATION_SETS)]
    for case_file in corpus.cases:
        for lesson in case_file.lessons:
            assert len(lesson.questions) >= 2, lesson.id
            for question in lesson.questions:
                words = _words(question)
                closest = max(len(words & e) / len(words | e) for e in evaluation)
                assert closest < 0.7, (lesson.id, question)


def test_every_acronym_in_the_records_is_in_the_glossary(corpus):
    # Plan signs are matched to plans by meaning only, never searched: the glossary is not theirs.
    used = {match.rstrip("s") for case_file in corpus.cases
            for match in re.findall(r"\b[A-Z]{2,6}s?\b", case_file.model_dump_json(
                exclude={"lessons": {"__all__": {"plan_signs"}}}))}
    assert used - NOT_ACRONYMS - set(corpus.glossary.acronyms) == set()


def test_glossary_phrases_are_not_taken_from_the_evaluation_questions(corpus):
    """A glossary phrase that an evaluation question uses must also be used in text written
    without sight of the questions: the case records, with their curated questions. A
    phrase found only in the query sets ("money hole", "townsfolk") is fitted to them: it
    measures the glossary's memory of the test, not the search."""
    questions = [q.q.lower() for q in load_queries(EVALUATION_SETS)]
    blind = " ".join(path.read_text().lower() for path in (DATA / "cases").glob("*.yaml"))
    assert len(corpus.glossary.phrases) >= 30
    fitted = []
    for phrase in corpus.glossary.phrases:
        pattern = re.compile(rf"\b{re.escape(phrase)}s?\b")
        if any(pattern.search(q) for q in questions) and not pattern.search(blind):
            fitted.append(phrase)
    assert not fitted


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))
