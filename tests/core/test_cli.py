"""The `kb` command as a user runs it: its output and its exit code.

Commands run in-process (tests/kb_in_process.py) with the session's loaded model. What only
a real process shows (bytes that are not UTF-8 in argv) runs one; so does tests/core/
test_cli_output.py (output to a pipe).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from kb.stats import collect
from tests.kb_in_process import kb

KB = [sys.executable, "-m", "kb.cli"]

def test_search_prints_ranked_hits_with_case_and_source(built_db):
    out = kb("search", "--db", str(built_db), "VAT risk of LLP", "--limit", "3").stdout
    assert "  1. Nobody funded the VAT" in out
    assert "uniting-care" in out and "source:" in out and "why:" in out


def test_json_lines_one_per_query_in_order(built_db):
    queries = ["VAT risk of LLP", "GP engagement", "population of Dudley"]
    out = kb("search", "--json", "--limit", "4", "--db", str(built_db), *queries).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query"] for line in lines] == queries
    assert all(line["mode"] == "hybrid" and len(line["hits"]) == 4 for line in lines)
    assert lines[0]["hits"][0]["id"] == "uc-vat-llp-unfunded"


def test_filters_and_modes_on_the_command_line(built_db):
    out = kb("search", "--json", "--db", str(built_db), "--mode", "keyword", "--case", "dudley",
             "--kind", "lesson", "--theme", "engagement", "consultation").stdout
    hits = json.loads(out)["hits"]
    assert hits and all(h["case"] == "dudley" and "engagement" in h["themes"] for h in hits)


def test_stats_counts_everything(built_db):
    out = kb("stats", "--db", str(built_db)).stdout
    stats = collect(built_db)
    for word in ("all-MiniLM-L6-v2", "dudley", "engagement"):
        assert word in out
    for name, count in stats.totals.items():  # every total, as its number
        assert re.search(rf"^\s*{name}\s+{count}\s*$", out, re.M), (name, count)
    for theme, count in stats.by_theme.items():
        assert re.search(rf"^\s*{theme}\s+{count}\s*$", out, re.M), (theme, count)
    assert stats.totals["lessons"] > 50


def test_db_from_the_environment(built_db):
    out = kb("search", "--json", "VAT", env={"LESSONS_DB": str(built_db)}).stdout
    assert json.loads(out)["hits"]


@pytest.mark.parametrize("args,env,message", [
    (["search", "--db", "{missing}", "vat"], {}, "No database at"),
    (["search", "--db", "{corrupt}", "vat"], {}, "is not a lessons database"),
    (["search", "--db", "{db}", "   "], {}, "The query is empty"),
    (["search", "--db", "{db}", "--mode", "fuzzy", "vat"], {}, "Invalid value for '--mode'"),
    (["search", "--db", "{db}", "--mode", "semantic", "vat"], {"LESSONS_MODEL": "/nonexistent"},
     "No embedding model found"),
    (["stats", "--db", "{missing}"], {}, "No database at"),
    (["search", "--db", "{db}", "--case", "Atlantis", "vat"], {},
     "Unknown case 'Atlantis': use one of dudley, nhs-england, sunderland, uniting-care, west-london."),
    (["search", "--db", "{db}", "--theme", "vat", "vat"], {}, "Unknown theme 'vat': use one of"),
    (["search", "--db", "{db}", "--stage", "planning", "vat"], {}, "Unknown stage 'planning'"),
    (["search", "--db", "{db}", "--kind", "document", "vat"], {},
     "Unknown kind 'document': use one of case, lesson, fact, passage."),
    (["search", "--db", "{db}", "--outcome", "bad", "vat"], {},
     "Unknown outcome 'bad': use one of went-well, went-wrong, guidance."),
])
def test_errors_are_one_clear_line_and_a_nonzero_exit(tmp_path, built_db, args, env, message):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    paths = {"missing": tmp_path / "none.db", "corrupt": corrupt, "db": built_db}
    result = kb(*[a.format(**paths) for a in args], env=env, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_build_reports_what_it_did(seeded_db, data_copy):
    from kb.casefiles import read_corpus

    corpus = read_corpus(data_copy)
    db = seeded_db
    out = kb("build", "--db", str(db), "--data", str(data_copy)).stdout
    records = corpus.lesson_count + corpus.fact_count + len(corpus.cases)
    assert (f"built {corpus.lesson_count} lessons and {corpus.fact_count} facts from "
            f"{len(corpus.cases)} cases") in out
    assert f"embedded 0, reused {records}" in out  # every vector from the replaced file
    assert "up to date" in kb("build", "--db", str(db), "--data", str(data_copy)).stdout


def test_malformed_case_file_is_reported_by_file_and_line(tmp_path, data_copy):
    path = data_copy / "cases" / "sunderland.yaml"
    path.write_text(path.read_text().replace("stage:", "stage: someday\n    x:", 1))
    result = kb("build", "--db", str(tmp_path / "kb.db"), "--data", str(data_copy), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "sunderland.yaml, line" in result.stderr and "stage" in result.stderr


def test_outcome_and_filters_by_the_names_a_user_sees(built_db):
    out = kb("search", "--json", "--db", str(built_db), "--case", "Uniting Care", "--outcome",
             "went wrong", "--kind", "Lesson", "--theme", "Tax and VAT", "tax").stdout
    hits = json.loads(out)["hits"]
    assert hits and all(h["case"] == "uniting-care" and h["outcome"] == "went-wrong"
                        and h["kind"] == "lesson" and "tax-vat" in h["themes"] for h in hits)


def test_a_bad_query_among_good_ones_gets_an_error_object(built_db):
    queries = ["VAT risk of LLP", "   ", "x" * 2001, "GP engagement"]
    result = kb("search", "--json", "--limit", "2", "--db", str(built_db), *queries, check=False)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and len(lines) == 4
    assert [("error" in line) for line in lines] == [False, True, True, False]
    assert "empty" in lines[1]["error"] and "2,001 characters" in lines[2]["error"]
    assert lines[0]["answered"] is True and lines[3]["hits"]


def test_invalid_utf8_query_is_a_clear_error(built_db):
    result = subprocess.run([*KB, "search", "--db", str(built_db).encode(), b"vat \xff\xfe"],
                            capture_output=True, timeout=120)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    assert b"not valid UTF-8" in result.stderr


def test_says_what_it_searched_for_and_when_nothing_answers(built_db):
    out = kb("search", "--db", str(built_db), "--limit", "2", "conflcit of intrest",
             "ambulance response times in rural areas").stdout
    assert "searched for: conflict of interest" in out
    assert "Nothing in the knowledge base answers this closely. Nearest records:" in out
    assert re.search(r"(strong|fair) match", out) and "weak match" in out


def test_strength_of_evidence_shown_and_filtered(built_db):
    out = kb("search", "--json", "--db", str(built_db), "--mode", "keyword",
             "--strength", "strong", "--limit", "20", "risk").stdout
    hits = json.loads(out)["hits"]
    assert hits and all(h["kind"] == "lesson" and h["strength"] == "strong" for h in hits)
    assert {h["case"] for h in hits} == {"uniting-care"}  # the only independent findings
    text = kb("search", "--db", str(built_db), "--mode", "keyword", "VAT LLP").stdout
    assert "strong evidence" in text
    bad = kb("search", "--db", str(built_db), "--strength", "firm", "x", check=False)
    assert bad.returncode == 1 and "strong, moderate, weak" in bad.stderr


def test_show_explains_a_lessons_strength_and_each_evidence(built_db):
    out = kb("show", "--db", str(built_db), "uc-vat-llp-unfunded").stdout
    assert "Nobody funded the VAT" in out
    assert "evidence: strong — 2 findings (independent review, partner's review)" in out
    assert "finding · partner review" in out and "finding · independent review" in out


def test_a_merged_id_still_leads_to_its_lesson(built_db):
    out = kb("show", "--db", str(built_db), "wl-decisions-robust-to-challenge").stdout
    assert out.startswith("wl-decisions-robust-to-challenge was merged into "
                          "wl-keep-route-to-market-open")
    missing = kb("show", "--db", str(built_db), "no-such-lesson", check=False)
    assert missing.returncode == 1 and "No lesson has the id 'no-such-lesson'" in missing.stderr
