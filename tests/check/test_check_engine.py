"""The plan check engine (kb/check.py) on the real database and model: statuses, order,
filters, negation, a plan nothing applies to, and quality floors on the labelled plans."""

from __future__ import annotations

import pytest

from ingest.plans import read_plan
from kb.check import NOTHING_APPLIES, STATUSES, Plan, PlanPassage
from bench.plan_evaluate import PLANS_DIR, Counts, load_plans
from kb.search import Filters

VAT = "uc-vat-llp-unfunded"


def _plan(*sentences: str, locator: str = 'section "Plan"') -> Plan:
    return Plan("A plan", "test", [PlanPassage(locator, " ".join(sentences), tuple(sentences))])


def test_the_llp_plan_is_flagged_with_vat_first_and_cited(checker):
    review = checker.check(read_plan(PLANS_DIR / "riverside-obc.md", max_bytes=10**7))
    first = review.items[0]
    assert (first.status, first.lesson.id) == ("red-flag", VAT)
    assert first.places[0].locator == 'section "5. The proposed provider"'
    assert "partnership" in first.places[0].words
    assert first.why and first.lesson.source_title and first.lesson.recommendation
    order = [STATUSES.index(i.status) for i in review.items]
    assert order == sorted(order)
    for status in STATUSES:  # each status by strength
        strengths = [i.strength for i in review.of(status)]
        assert strengths == sorted(strengths, reverse=True)
    assert review.summary.startswith(f"{len(review.items)} lessons apply to this plan: ")


def test_a_plan_that_declines_the_recommendation_is_not_covered(checker):
    doing = checker.check(_plan(
        "Specialist tax advice on the VAT position of the partnership will be taken before "
        "award, and the contract will say who funds any VAT the structure creates."))
    declining = checker.check(_plan(
        "We do not propose to take specialist tax advice on the VAT position of the "
        "partnership before award, and the contract will not say who funds any VAT."))
    status = lambda review: {i.lesson.id: i.status for i in review.items}.get(VAT)  # noqa: E731
    assert status(doing) == "covered"
    assert status(declining) in ("red-flag", "gap")


def test_a_plan_nothing_applies_to_says_so(checker):
    review = checker.check(_plan(
        "The school canteen will serve a hot vegetarian lunch on three days each week.",
        "Pupils may bring a packed lunch, and water fountains will be refilled at break."))
    assert review.items == []
    assert review.summary == NOTHING_APPLIES
    assert review.to_json()["summary"] == {"applies": 0, "red_flags": 0, "gaps": 0, "covered": 0}


def test_filters_keep_only_the_stage_case_or_theme_asked_for(checker):
    plan = read_plan(PLANS_DIR / "riverside-obc.md", max_bytes=10**7)
    for filters, check in (
            (Filters.of(stage="procurement"), lambda i: i.lesson.stage == "procurement"),
            (Filters.of(case="dudley"), lambda i: i.lesson.case == "dudley"),
            (Filters.of(theme="tax-vat"), lambda i: "tax-vat" in i.lesson.themes)):
        items = checker.check(plan, filters=filters).items
        assert items and all(map(check, items)), filters


@pytest.mark.parametrize("split, floors", [
    # (red-flag+gap precision, recall), (covered precision, recall): below what
    # bench/check.py measured at calibration (kb/check_calibration.py), as a guard.
    # Measured (merged records, int8 model): tune 0.41/0.40, 0.78/0.79; held out
    # 0.36/0.31, 0.54/0.76 (precision counts an unlabelled listed lesson as half wrong).
    ("tune", ((0.35, 0.30), (0.70, 0.70))),
    ("holdout", ((0.30, 0.25), (0.50, 0.65))),
])
def test_precision_and_recall_floors_on_the_labelled_plans(checker, split, floors):
    flagged, covered = Counts(), Counts()
    for labelled in [p for p in load_plans() if p.split == split]:
        review = checker.check(read_plan(labelled.path, max_bytes=10**7))
        names = labelled.flagged | labelled.covered
        flagged.add(labelled.name, {i.lesson.id for i in review.items if i.status != "covered"},
                    set(labelled.flagged), set(names))
        covered.add(labelled.name, {i.lesson.id for i in review.of("covered")},
                    set(labelled.covered), set(names))
    (fp, fr), (cp, cr) = floors
    assert flagged.precision >= fp and flagged.recall >= fr, str(flagged)
    assert covered.precision >= cp and covered.recall >= cr, str(covered)
