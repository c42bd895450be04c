"""Merging curators' plan signs into the case files (ingest/signs.py): every other byte of
the file kept, the wording never changed, a malformed sign left out and reported."""

from __future__ import annotations

from kb.casefiles import read_corpus
from ingest.signs import merge

LESSON = "uc-vat-llp-unfunded"
GOOD = ["The partnership of the two trusts will hold the contract for the whole term.",
        "A new joint venture formed by the local trusts will be the single provider."]
COVER = ["Specialist tax advice on the provider's legal form will be taken before the award."]


def _strip_signs(text: str) -> str:
    """The case file as it was before any signs: drop every plan_signs block."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("    plan_signs:"):
            skipping = True
            continue
        if skipping and line.startswith("      "):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


def test_merge_keeps_the_file_and_the_wording_and_reports_bad_signs(data_copy, tmp_path):
    case_file = data_copy / "cases" / "uniting-care.yaml"
    original = _strip_signs(case_file.read_text())
    case_file.write_text(original)
    signs = tmp_path / "uniting-care.yaml"
    signs.write_text(f"{LESSON}:\n  warning:\n" + "".join(f"    - {s}\n" for s in GOOD)
                     + "    - Too short.\n"
                     + "  covered:\n" + "".join(f"    - {s}\n" for s in COVER)
                     + "no-such-lesson:\n  warning: [x]\n  covered: [y]\n")
    report = merge(signs, data_copy)
    assert (report.lessons, report.signs) == (1, 3)
    problems = {e.field: e for e in report.left_out}
    assert problems[f"{LESSON}.warning[2]"].line == 5
    assert "got 2 words" in problems[f"{LESSON}.warning[2]"].problem
    assert "no lesson 'no-such-lesson'" in problems["no-such-lesson"].problem
    merged = case_file.read_text()
    assert _strip_signs(merged) == original  # nothing else changed
    lesson = next(l for cf in read_corpus(data_copy).cases for l in cf.lessons if l.id == LESSON)
    assert list(lesson.plan_signs.warning) == GOOD and list(lesson.plan_signs.covered) == COVER
