"""`kb ingest` and `kb candidates` as a user runs them, and what an interrupted ingest
(ctrl+c, kill, kill -9) leaves behind: every document whole or absent.

The commands run in-process (tests/kb_in_process.py) with the session's model; the
interruptions need a real process, which is signalled or killed mid-run.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from ingest.manifest import Manifest
from ingest_checks import assert_consistent, count, rows
from ingest_samples import generated_doc, write
from tests import kb_in_process


def kb(*args, db, data=None, check_exit=None):
    options = ["--db", str(db)] + (["--data", str(data)] if data else [])
    result = kb_in_process.kb(*args, *options, check=False)
    if check_exit is not None:
        assert result.returncode == check_exit, result.stderr + result.stdout
    return result


def test_ingest_reports_failures_by_name_and_exits_non_zero(papers, db, data_copy):
    (papers / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (papers / "empty.docx").write_bytes(b"")
    result = kb("ingest", papers, "--case", "fresh-case", "--date", "2021-06", db=db,
                data=data_copy, check_exit=1)
    failed = sorted(line for line in result.stderr.splitlines() if line.startswith("failed"))
    assert len(failed) == 2
    assert "broken.pdf: damaged or not really a PDF" in failed[0]
    assert "empty.docx: empty file (0 bytes)" in failed[1]
    assert result.stdout.count("added ") == 6
    assert "ingested 6 file(s)" in result.stdout and "2 failed" in result.stdout
    assert "'fresh-case' is a new stub case" in result.stdout
    assert "Traceback" not in result.stderr
    # Everything readable was committed.
    assert count(db, "documents") == 6 and count(db, "cases", "stub = 1") == 1
    again = kb("ingest", papers / "board.pdf", "--case", "fresh-case", db=db, data=data_copy,
               check_exit=0)
    assert "1 unchanged" in again.stdout


@pytest.mark.parametrize("args, message", [
    (["ingest", "x.pdf"], "--case is required"),
    (["ingest", "x.pdf", "--case", "Not A Slug"], "Invalid value for --case"),
    (["ingest", "x.pdf", "--case", "dudley", "--date", "March 2019"], "YYYY-MM"),
    (["candidates", "--accept", "c-1", "--reject", "c-2"], "one at a time"),
])
def test_usage_errors_are_one_clear_line(args, message, db, data_copy):
    result = kb(*args, db=db, data=data_copy, check_exit=2)
    assert message in result.stderr and "Traceback" not in result.stderr


def test_review_from_the_command_line(papers, db, data_copy):
    kb("ingest", papers / "board.pptx", "--case", "west-london", "--date", "2019-03", db=db,
       data=data_copy, check_exit=0)
    listed = kb("candidates", "--case", "west-london", db=db, data=data_copy, check_exit=0)
    assert "Integrated care contract: review for the governing body" in listed.stdout
    assert "slide 2" in listed.stdout and "4 candidate lesson(s)" in listed.stdout
    lines = kb("candidates", "--json", db=db, data=data_copy, check_exit=0).stdout.splitlines()
    candidates = [json.loads(line) for line in lines]
    assert len(candidates) == 4 and candidates[0]["locator"] == "slide 2"
    chosen = next(c for c in candidates if c["cue"] == "lesson")
    accepted = kb("candidates", "--accept", chosen["id"], "--title", "Take tax advice early",
                  db=db, data=data_copy, check_exit=0)
    assert f"accepted {chosen['id']} as lesson wl-take-tax-advice-early" in accepted.stdout
    assert "embedded 1" in accepted.stdout  # built: the lesson is in the database
    hits = json.loads(kb("search", "take tax advice early", "--kind", "lesson", "--json",
                         db=db).stdout.splitlines()[0])["hits"]
    assert hits[0]["id"] == "wl-take-tax-advice-early"
    assert hits[0]["source"]["locator"] == "slide 3"
    passages = json.loads(kb("search", "register of interests", "--kind", "passage", "--json",
                             db=db).stdout.splitlines()[0])["hits"]
    assert passages[0]["source"]["locator"] == "slide 2"
    removed = kb("ingest", "--remove", papers / "board.pptx", db=db, data=data_copy,
                 check_exit=0)
    assert "removed" in removed.stdout and count(db, "passages") == 0
    assert "no candidate lessons to review" in kb("candidates", db=db, data=data_copy).stdout


# -- interruptions -----------------------------------------------------------------------
DOCUMENTS = 36

@pytest.fixture
def corpus(tmp_path):
    """36 documents of ~6 passages each: an ingest long enough to interrupt after its second
    commit on a quiet machine too (with 12, a quiet run once finished before the signal)."""
    rng = random.Random(3)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for n in range(DOCUMENTS):
        fmt = ("docx", "md", "html", "txt")[n % 4]
        write(folder / f"paper-{n:02}.{fmt}", generated_doc(rng, n, sections=3, paragraphs=2))
    return folder


def committed(db) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("select count(*) from documents").fetchone()[0]
    except sqlite3.OperationalError:  # locked while a commit is written
        return 0
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_ingest_leaves_every_document_whole_or_absent(how, corpus, db, data_copy):
    # ctrl+c as a terminal sends it: to a process whose SIGINT has its default action. A
    # process started with SIGINT ignored keeps ignoring it (Python installs its handler
    # only over the default), and in two whole `make test` runs the test's process had
    # come to ignore it: the ingest ran to its end (exit 0) and this test failed.
    run = subprocess.Popen([sys.executable, "-m", "kb.cli", "ingest", str(corpus), "--case",
                            "dudley", "--db", str(db), "--data", str(data_copy)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while committed(db) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(how)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == (130 if how != signal.SIGKILL else -signal.SIGKILL)
    if how != signal.SIGKILL:
        assert "interrupted: the file in flight was not written" in stderr

    sqlite3.connect(db).execute("select 1").fetchall()  # the next writer clears any journal
    done = {r[0] for r in rows(db, "select id from documents")}
    assert 2 <= len(done) < DOCUMENTS, "the signal should land in the middle of the run"
    assert_consistent(db)
    # The record is written just before the commit: only kill -9 between the two can leave
    # a record of a document the database lacks (the next run or build reads it again).
    recorded = set(Manifest(data_copy).entries())
    assert set(done) <= recorded and len(recorded - set(done)) <= (how == signal.SIGKILL)
    before = rows(db, "select * from passages order by id")

    # The next run finishes the job; what was committed stays exactly as it was.
    finish = kb("ingest", corpus, "--case", "dudley", db=db, data=data_copy, check_exit=0)
    assert f"{len(done)} unchanged" in finish.stdout
    assert count(db, "documents") == DOCUMENTS and set(Manifest(data_copy).entries()) == {
        r[0] for r in rows(db, "select id from documents")}
    kept = ",".join(f"'{d}'" for d in done)
    assert rows(db, f"select * from passages where document in ({kept}) order by id") == before
    assert_consistent(db)
