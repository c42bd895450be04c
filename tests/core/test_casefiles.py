"""Case files: the real data validates, and every kind of mistake is reported precisely."""

from __future__ import annotations

import pytest

from ruamel.yaml import YAML

from kb.casefiles import read_corpus
from kb.errors import RecordErrors
from kb.vocabulary import STAGES


def read_redirects(path) -> list:
    return YAML(typ="safe").load(path.read_text())["redirects"]


def test_real_data_validates():
    from tests.conftest import DATA

    corpus = read_corpus(DATA)
    assert {c.case.slug for c in corpus.cases} >= {"dudley", "sunderland", "west-london",
                                                    "uniting-care", "nhs-england"}


def _break(data_dir, old: str, new: str, case: str = "uniting-care"):
    path = data_dir / "cases" / f"{case}.yaml"
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _errors(data_dir) -> list:
    with pytest.raises(RecordErrors) as info:
        read_corpus(data_dir)
    return info.value.errors


def test_bad_stage_names_file_line_field_and_choices(data_copy):
    path = _break(data_copy, "stage: award-assurance", "stage: awarding")
    (error,) = _errors(data_copy)
    assert error.path == str(path)
    assert error.line == _line_of(path, "stage: awarding")
    assert error.field.endswith(".stage") and error.field.startswith("lessons[")
    assert "award-assurance" in error.problem and "'awarding'" in error.problem


def test_misspelt_and_missing_fields(data_copy):
    path = _break(data_copy, "    recommendation:", "    recomendation:")
    problems = {e.field.rsplit(".", 1)[-1]: e for e in _errors(data_copy)}
    assert "unknown field" in problems["recomendation"].problem
    assert problems["recomendation"].line == _line_of(path, "recomendation:")
    assert "required" in problems["recommendation"].problem


def test_yaml_syntax_error_has_a_line(data_copy):
    path = _break(data_copy, "lessons:\n", "lessons:\n  - id: [unclosed\n")
    (error,) = _errors(data_copy)
    assert error.path == str(path) and error.line is not None and error.field == "YAML"


def test_evidence_must_cite_a_source_of_its_own_case(data_copy):
    _break(data_copy, "  - source: uniting-care-public-record", "  - source: west-london-mcp-2018")
    (error,) = _errors(data_copy)
    assert "not one of this case's sources" in error.problem
    assert ".evidence[0].source" in error.field


def test_duplicate_ids_and_unknown_related(data_copy):
    _break(data_copy, "  - id: uc-bid-assumed-price-uplift", "  - id: uc-vat-llp-unfunded")
    _break(data_copy, "    related: [", "    related: [no-such-lesson, ")
    problems = [e.problem for e in _errors(data_copy)]
    assert any("duplicate id 'uc-vat-llp-unfunded'" in p for p in problems)
    assert any("unknown lesson id 'no-such-lesson'" in p for p in problems)


def test_all_problems_reported_together(data_copy):
    _break(data_copy, "stage: award-assurance", "stage: nope")
    _break(data_copy, "stage:", "stage: nope\n    colour: red", case="dudley")
    errors = _errors(data_copy)
    assert {e.path.rsplit("/", 1)[-1] for e in errors} == {"uniting-care.yaml", "dudley.yaml"}


def test_a_source_link_must_be_a_web_address(data_copy):
    """A `javascript:` url became a live link on the home page (stored XSS)."""
    path = data_copy / "sources.yaml"
    text = path.read_text()
    first = text.index("  - id: ")
    end = text.index("\n", first)
    path.write_text(text[:end] + '\n    url: "javascript:alert(document.domain)"' + text[end:])
    (error,) = _errors(data_copy)
    assert error.path == str(path) and error.field.endswith(".url")
    assert "http://" in error.problem and error.line == _line_of(path, "javascript:")


@pytest.mark.parametrize("yaml_text, line, problem", [
    # An alias bomb: each level ten aliases of the one before (the audit's had 10^8 leaves).
    ("".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" if i else "l0: &l0 [x]\n"
             for i in range(6)) + "case: *l5\n", 2, "aliases (*name) are not allowed"),
    ("case: &x {self: *x}\n", 1, "aliases (*name) are not allowed"),
    ("case:\n  ? [a, b]\n  : value\n", 2, "a key must be plain text"),
    ("case:\n  name: One\n  name: Two\n", 3, "duplicate key 'name' (also on line 2)"),
])
def test_hostile_yaml_is_refused_with_file_and_line(data_copy, yaml_text, line, problem):
    path = data_copy / "cases" / "dudley.yaml"
    path.write_text(yaml_text)
    with pytest.raises(RecordErrors) as caught:
        read_corpus(data_copy)
    (error,) = caught.value.errors
    assert (error.path, error.line) == (str(path), line)
    assert problem in error.problem


def test_the_glossary_is_read_and_checked_like_the_case_files(data_copy):
    glossary = read_corpus(data_copy).glossary
    assert glossary.phrases["family doctor"] == "GP general practice"
    assert glossary.acronyms["NAO"] == "National Audit Office"
    path = data_copy / "glossary.yaml"
    text = path.read_text()
    path.write_text(text.replace("  family doctor: GP general practice",
                                 "  family doctor: GP general practice\n  Go Live!: start", 1)
                    .replace("acronyms:", "acronyms:\n  nao: lower case", 1))
    with pytest.raises(RecordErrors) as caught:
        read_corpus(data_copy)
    lines = text.splitlines()
    phrase_line = lines.index("  family doctor: GP general practice") + 2
    message = str(caught.value)
    assert f"glossary.yaml, line {phrase_line}: phrases.Go Live!" in message
    assert "expected a phrase in lower-case letters" in message
    assert "acronyms.nao" in message and "expected an acronym of 2 to 7 capital letters" in message
def test_a_malformed_plan_sign_names_file_line_and_field(data_copy):
    sign = "- The lead provider will be a limited liability partnership formed by the two local NHS trusts."
    path = _break(data_copy, sign, "- An LLP.")
    (error,) = _errors(data_copy)
    assert error.path == str(path)
    assert error.line == _line_of(path, "- An LLP.")
    assert error.field == "lessons[0].plan_signs.warning[0]"
    assert "6–30 words" in error.problem and "got 2 words" in error.problem


def test_plan_signs_need_both_kinds(data_copy):
    path = _break(data_copy, "    plan_signs:\n      warning:", "    plan_signs:\n      warnings:")
    fields = {e.field for e in _errors(data_copy)}
    assert "lessons[0].plan_signs.warnings" in fields and "lessons[0].plan_signs.warning" in fields
    assert path.exists()


def test_one_run_reports_shape_and_reference_problems_together(data_copy):
    """Before: an unknown source or a duplicate id came only after the other errors were
    fixed, so a curator needed two runs. Now one run names every problem."""
    path = _break(data_copy, "stage: award-assurance", "stage: awarding")
    _break(data_copy, "  - id: uc-bid-assumed-price-uplift", "  - id: uc-vat-llp-unfunded")
    _break(data_copy, "  sources: [uniting-care-public-record",
           "  sources: [no-such-source, uniting-care-public-record")
    _break(data_copy, "  - source: uniting-care-public-record", "  - source: west-london-mcp-2018")
    errors = _errors(data_copy)
    problems = {e.problem.split(";")[0].split(" (")[0] for e in errors}
    assert {"expected a stage, one of: " + ", ".join(STAGES),
            "duplicate id 'uc-vat-llp-unfunded'",
            "unknown source 'no-such-source'",
            "source 'west-london-mcp-2018' is not one of this case's sources"} <= problems
    assert all(e.path == str(path) and e.line for e in errors)
    dup = next(e for e in errors if "duplicate id" in e.problem)
    assert dup.field.endswith(".id") and dup.line > _line_of(path, "  - id: uc-vat-llp-unfunded")


def test_evidence_kind_and_source_standing_are_checked(data_copy):
    path = _break(data_copy, "        kind: finding", "        kind: hunch")
    sources = data_copy / "sources.yaml"
    sources.write_text(sources.read_text().replace("standing: own-report", "standing: gossip", 1))
    errors = {e.field: e for e in _errors(data_copy)}
    kind = next(e for f, e in errors.items() if f.endswith(".kind"))
    assert kind.path == str(path) and kind.line == _line_of(path, "kind: hunch")
    assert "finding, decision, plan, forecast" in kind.problem and "'hunch'" in kind.problem
    standing = next(e for f, e in errors.items() if f.endswith(".standing"))
    assert standing.path == str(sources) and standing.line == _line_of(sources, "standing: gossip")
    assert "independent-review" in standing.problem


def test_a_missing_evidence_kind_is_reported(data_copy):
    path = _break(data_copy, "        kind: finding\n", "")
    (error,) = _errors(data_copy)
    assert error.path == str(path) and error.field.endswith(".evidence[0].kind")
    assert "required" in error.problem


def test_redirects_must_lead_from_a_gone_id_to_a_lesson(data_copy):
    path = data_copy / "redirects.yaml"
    path.write_text(path.read_text() + "  - old: uc-vat-llp-unfunded\n    new: no-such-lesson\n"
                    "    reason: a test\n")
    errors = [e for e in _errors(data_copy) if e.path == str(path)]
    fields = {e.field: e.problem for e in errors}
    last = len(read_redirects(path)) - 1
    assert "still a lesson's id" in fields[f"redirects[{last}].old"]
    assert "unknown lesson id 'no-such-lesson'" in fields[f"redirects[{last}].new"]
    assert all(e.line for e in errors)
