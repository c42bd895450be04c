"""Answers a commissioner can trust (issue 11): saying when nothing answers, one relevance
scale with bands, a true why line, misspellings, filters checked in one place, full-width
text. The floors below are the calibrated figures of bench/calibrate.py, a little under."""

from __future__ import annotations

import re
import sqlite3

import pytest

from kb import relevance
from kb.casefiles import read_corpus
from kb.query import names, terms
from kb.errors import QueryError
from bench.evaluate import HOLDOUT_DIR, LAY_TUNE, QUERY_DIR, load_queries, query_files
from kb.search import MODES, matching_words
from tests.conftest import DATA

OUT_OF_SCOPE = QUERY_DIR / "out-of-scope"
VAT_LESSON = "uc-vat-llp-unfunded"


def flagged(engine, queries) -> float:
    return sum(not engine.search(q.q, limit=5).answered for q in queries) / len(queries)


# -- saying when nothing answers -------------------------------------------------------
@pytest.mark.quality
@pytest.mark.parametrize("files, ceiling", [
    (query_files(), 0.05), ([LAY_TUNE], 0.05),
    (query_files(HOLDOUT_DIR), 0.05)])
def test_in_scope_questions_are_answered(engine, files, ceiling):
    """The issue asks for at most 5% wrongly flagged. The tune sets are held to it by
    construction (bench/calibrate.py shifts the boundary so). Held out, 7 of the 234
    in-scope questions (3.0%) are flagged: 4 of the 50 first commissioners' questions and 2
    of the 54 first lay ones (5.8% of those 104; 4.8% before a contraction such as
    "aren't" stopped counting as a word the records hold), none of the 50 second
    commissioners' and 1 of the 80 second lay ones."""
    assert flagged(engine, load_queries(files)) <= ceiling


@pytest.mark.quality
@pytest.mark.parametrize("name, floor", [("tune.yaml", 0.55), ("holdout.yaml", 0.85),
                                         ("holdout-2.yaml", 0.9), ("holdout-2-near.yaml", 0.2)])
def test_out_of_scope_questions_are_flagged(engine, name, floor):
    """The issue asks for 90%. With the out-of-scope anchors and unknown names
    (kb/relevance.py), hybrid flags 65.5% of the tune questions and 94.5% of the held-out
    ones (38% and 67% before), and of a second held-out writer's all 23 on other NHS topics
    but 6 of 20 near the records' ground (another area's integrated care, a detail the
    records do not give): these floors guard against going backwards."""
    assert flagged(engine, load_queries([OUT_OF_SCOPE / name])) >= floor


def test_a_question_nearer_a_topic_covered_elsewhere_is_not_answered(engine):
    """Main's boundary (cosine, coverage, part) answered this: the hospital and its
    waiting times are words the records use. Its nearest out-of-scope anchor (planned
    operations) is far closer than any lesson part."""
    query = engine.prepare("hip replacement waiting times at the local hospital", "hybrid")
    signals = engine.answer_signals(query, "hybrid", engine.rank(query, "hybrid", 50))
    assert signals.elsewhere > signals.part + 0.1 and not signals.unknown_name
    assert not engine.search(query.text).answered


def test_every_anchor_is_embedded_at_build_and_read_by_the_engine(engine):
    assert engine.elsewhere.shape == (len(read_corpus(DATA).elsewhere), engine.dimensions)


def test_a_database_without_anchors_reads_the_calibrated_stand_in(seeded_db, embedder):
    from kb.elsewhere import KIND
    from kb.search import SearchEngine

    with sqlite3.connect(seeded_db) as conn:
        conn.execute("delete from embeddings where kind = ?", [KIND])
    engine = SearchEngine(seeded_db, embedder=embedder)
    query = engine.prepare("VAT risk of LLP", "hybrid")
    signals = engine.answer_signals(query, "hybrid", engine.rank(query, "hybrid", 50))
    assert len(engine.elsewhere) == 0 and signals.elsewhere == relevance.NO_ANCHORS["hybrid"]
    assert engine.search(query.text).answered


def test_names_are_capitalised_words_inside_a_sentence_or_acronyms():
    assert names("what did the Nuffield Trust say about Hartlepool's A&E") == \
        ["Nuffield", "Trust", "Hartlepool"]
    assert names("Dudley's plan. Why did Walsall's CCG wait? I ask") == ["Walsall", "CCG"]


def test_a_question_naming_what_no_record_mentions_is_not_answered(engine):
    """A question about a body and a town the records never name cannot be answered here,
    however close its other words come (main's boundary answered it)."""
    query = engine.prepare("What did the Nuffield Trust say about Hartlepool's hospital", "hybrid")
    assert engine.unknown_names(query) == ["Nuffield", "Hartlepool"]
    assert not engine.search(query.text).answered


def test_names_the_records_hold_or_the_glossary_stands_for_are_known(engine):
    query = engine.parse("what did the National Audit Office say about Sunderland and Dudley")
    assert engine.unknown_names(query) == []


def test_nothing_answers_still_lists_the_nearest_records(engine):
    results = engine.search("ambulance response times in rural areas", limit=3)
    assert not results.answered and len(results.hits) == 3
    assert results.to_json()["answered"] is False


@pytest.mark.parametrize("mode", MODES)
def test_a_question_of_common_words_alone_is_not_answered(engine, mode):
    """"what is it" or "the and of" asks nothing a record could answer, though every record
    holds its words (main answered both, in hybrid as a fair match). Its nearest records
    are still listed, and no common word is given word neighbours ("and → plus although")."""
    for text in ("what is it", "the and of"):
        results = engine.search(text, mode=mode, limit=3)
        assert results.hits and not results.answered
        assert not any("→" in h.why for h in results.hits)


def test_json_gains_only_answered(engine):
    out = engine.search("VAT risk of LLP", limit=2).to_json()
    assert set(out) == {"query", "mode", "answered", "hits"} and out["answered"] is True
    assert isinstance(out["hits"][0]["score"], float)


# -- one scale, three bands --------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_a_clear_answer_stands_out_on_the_one_scale(engine, mode):
    """The same hit scores alike in every mode (it was 0.80 keyword, 0.38 semantic and 0.96
    hybrid): a strong match in each. Hybrid reads it at 0.39 and semantic at 0.17 (0.66 and
    0.38 before the model was tuned on the records, kb/finetune.py, when hybrid also called
    strong the lesson on the thin lead provider, which holds all three words and is about
    the LLP's tax position too: now a fair 0.11); keyword mode calls that lesson and the
    case, which name the LLP too, strong (bands at 0.14)."""
    results = engine.search("VAT risk of LLP", mode=mode, limit=10)
    first = results.hits[0]
    assert first.id == VAT_LESSON and 0.1 < first.score < 0.8
    assert first.band == "strong"
    assert all(h.score < first.score / 2 for h in results.hits[1:]) or mode == "keyword"
    assert results.strong == {"hybrid": 1, "semantic": 1, "keyword": 3}[mode]
    assert results.hits[-1].band == "weak"


def test_bands_read_the_score():
    strong, fair = relevance.STRONG, relevance.FAIR
    assert 0 < fair < strong < 1
    assert [relevance.band(s) for s in (1.0, strong, (strong + fair) / 2, fair, fair / 2)] == \
        ["strong", "strong", "fair", "fair", "weak"]


# -- the why line ------------------------------------------------------------------------
def test_words_match_as_stems_never_as_substrings():
    text = "The partners' commissioners met the CCG's board."
    assert matching_words(["art", "commissioner", "partner", "s", "ccg"], text) == \
        ["commissioner", "partner", "ccg"]
    assert matching_words(["commissioning"], "commissioned services") == ["commissioning"]


def test_a_contraction_is_not_a_word_and_a_possessive_is_its_word():
    assert terms("why doesn't the CCG’s plan work") == ["ccg", "plan", "work"]
    assert terms("GPs won't sign, we'll see") == ["gps", "sign", "see"]
    assert terms("the trust's O'Neill report") == ["trust", "o", "neill", "report"]


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_why_never_names_a_piece_of_a_contraction(engine, mode):
    """"won't" is not the "won" of a tender, nor "doesn't" a word "doesn" (the records
    hold all three forms)."""
    results = engine.search("GPs won't sign and it doesn't work if they aren't registered",
                            mode=mode, limit=20)
    named = {w for h in results.hits for w in re.findall(r"\w+", h.why)}
    assert results.hits and not named & {"won", "doesn", "aren", "t"}


def test_why_names_the_expansion_that_matched(engine):
    hit = engine.search("family doctors", mode="keyword", limit=1).hits[0]
    assert "family doctor → GP" in hit.why


def test_why_names_an_expansion_only_for_the_words_it_adds(engine):
    """No record uses "week", so its word neighbours bring in "weeks", which the index
    already matches by stem: "matches week; week → weeks" said the same thing twice."""
    results = engine.search("keep working together week to week", limit=10)
    assert any("week" in h.why for h in results.hits)
    assert not any("→ weeks" in h.why for h in results.hits)


def test_a_hit_found_by_meaning_names_its_closest_part(engine):
    results = engine.search("value added levy owed by a joint firm", mode="semantic", limit=20)
    whys = [h.why for h in results.hits if h.kind == "lesson"
            and "matches" not in h.why and "→" not in h.why]
    assert whys and all(w.startswith("close in meaning to ") for w in whys)
    assert any(part in " ".join(whys) for part in
               ("what happened", "its lesson", "its recommendation", "its question"))


# -- misspellings and normalisation ------------------------------------------------------
def test_misspellings_are_corrected_against_the_index(engine):
    results = engine.search("conflcit of intrest with GP comissioners", limit=3)
    assert results.searched_for == "conflict of interest with GP commissioners"
    assert "conflict" in results.hits[0].title.lower()


def test_real_words_the_records_do_not_use_are_not_corrected(engine):
    assert engine.search("dentistry contracts", limit=1).searched_for is None


def test_two_words_the_records_write_as_one_are_joined(engine):
    """"Uniting Care" is the records' "UnitingCare": the stemmer read "uniting" as the
    "unit" of a Dudley lesson, which came first (main). Stop words are never joined ("a
    long" is not "along"), nor two words each of which the records use."""
    results = engine.search("Uniting Care", limit=3)
    assert results.searched_for == "unitingcare"
    assert all(h.case == "uniting-care" for h in results.hits)
    assert engine.speller.joins("a multi-disciplinary team") == [
        ("multi-disciplinary", "multidisciplinary")]
    assert engine.speller.joins("a long contract for health care") == []


def test_american_spellings_are_searched_for_as_the_records_spell_them(engine):
    """The records are in British English: "mobilize" and "program" found no record by
    keyword (main left them alone as English words). A word the index knows is never
    respelt ("practice", whose British verb is "practise")."""
    results = engine.search("how do we mobilize the program", limit=3)
    assert results.searched_for == "how do we mobilise the programme"
    assert any("mobilis" in h.why for h in results.hits)
    assert engine.search("GP practice", limit=1).searched_for is None


def test_an_acronym_is_never_respelt(engine):
    """An acronym the records never use is a name they do not hold, not a misspelling: main
    searched for "take transfer of district nurses" and "parts funding"."""
    for text in ("TUPE transfer of district nurses", "ARRS funding for pharmacists"):
        results = engine.search(text, limit=1)
        assert results.searched_for is None and not results.answered


def test_accented_english_words_are_not_corrected(engine):
    """"naïve" and "café" are English words written with their accents (main searched for
    "name care"); an accented misspelling is still corrected, and an accented record word
    is the word the index holds."""
    assert engine.search("naïve café", limit=1).searched_for is None
    assert engine.search("conflcït of interest", limit=1).searched_for == "conflict of interest"
    assert engine.search("conflïct of interest", limit=1).searched_for is None


@pytest.mark.parametrize("mode", MODES)
def test_full_width_text_finds_what_ascii_finds(engine, mode):
    assert engine.search("ＶＡＴ ｒｉｓｋ ｏｆ ＬＬＰ", mode=mode, limit=1).hits[0].id == VAT_LESSON


def test_undecodable_text_is_a_clear_error(engine):
    with pytest.raises(QueryError, match="not valid UTF-8"):
        engine.search("vat \udcff")


# -- filters -----------------------------------------------------------------------------
@pytest.mark.parametrize("name, given, key", [
    ("case", "Dudley", "dudley"), ("case", "West London", "west-london"),
    ("case", "Uniting Care", "uniting-care"), ("case", "UNITING-CARE", "uniting-care"),
    ("theme", "Conflicts of interest", "conflicts-of-interest"), ("theme", "tax-vat", "tax-vat"),
    ("stage", "Award and assurance", "award-assurance"), ("kind", "Lesson", "lesson"),
    ("outcome", "went well", "went-well")])
def test_filters_by_key_or_displayed_name(engine, name, given, key):
    assert getattr(engine.filters(**{name: given}), name) == {key}


@pytest.mark.parametrize("name, given, valid", [
    ("case", "Atlantis", "dudley, nhs-england"), ("theme", "vat", "tax-vat"),
    ("stage", "planning", "strategy, engagement"), ("kind", "document", "lesson, fact"),
    ("outcome", "bad", "went-well, went-wrong, guidance")])
def test_unknown_filter_values_list_the_valid_ones(engine, name, given, valid):
    with pytest.raises(QueryError, match=f"Unknown {name} '{given}': use one of .*{valid}"):
        engine.filters(**{name: given})
