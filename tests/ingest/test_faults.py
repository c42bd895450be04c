"""Faults a writer must survive, with real `kb` processes killed at real moments: a kill
inside an ingest's commit (a hot journal), and what the next writer and readers do.

The kills, the writers at once and the file-system faults (a private mount namespace) run
real processes; every other command runs in-process (tests/kb_in_process.py) with the
session's model."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest_checks import assert_consistent, rows
from ingest_samples import generated_doc, write, write_docx_bomb
from tests import kb_in_process

KB = [sys.executable, "-m", "kb.cli"]
KILLED_AT = Path(__file__).with_name("killed_at.py")

def kb(*args, db, data=None, check_exit=None, env=None):
    options = ["--db", str(db)] + (["--data", str(data)] if data else [])
    result = kb_in_process.kb(*args, *options, env=env, check=False)
    if check_exit is not None:
        assert result.returncode == check_exit, result.stderr + result.stdout
    return result


def killed_at(moment: str, db: Path, *args) -> subprocess.CompletedProcess:
    """Run a real `kb ARGS… --db DB` that SIGKILLs itself at `moment` (tests/ingest/
    killed_at.py: at an exact point of its writes, from inside SQLite's own calls, not
    by polling from here)."""
    return subprocess.run([sys.executable, str(KILLED_AT), moment, str(db), *map(str, args),
                           "--db", str(db)], capture_output=True, text=True, timeout=600)


def kill_inside_commit(db: Path, data: Path, folder: Path) -> Path:
    """SIGKILL a real `kb ingest` inside its commit: the database file has begun to change
    while its rollback journal still exists. Returns the document in flight."""
    paper = write(folder / "paper.txt", generated_doc(random.Random(7), 0, sections=3,
                                                     paragraphs=4))
    run = killed_at("in-commit", db, "ingest", paper, "--case", "test-case", "--date", "2020",
                    "--data", data)
    assert run.returncode == -signal.SIGKILL, "the ingest was not killed: it wrote nothing " \
        "into the database file, with a journal there, after recording the document (was " \
        f"the document written in one transaction?): {run.stdout}{run.stderr}"
    assert Path(f"{db}-journal").exists()
    return paper


@pytest.fixture
def killed_in_commit(small_db, small_data, tmp_path):
    """A database holding one ingested document whose file has since moved away, and a
    hot journal from an ingest killed inside its commit."""
    folder = tmp_path / "papers"
    folder.mkdir()
    first = write(folder / "first.md", generated_doc(random.Random(1), 0, sections=2,
                                                     paragraphs=2))
    kb("ingest", first, "--case", "test-case", "--date", "2020", db=small_db,
       data=small_data, check_exit=0)
    first.rename(tmp_path / "moved.md")  # only the database holds its passages now
    (kept,) = rows(small_db, "select id from documents")
    in_flight = kill_inside_commit(small_db, small_data, folder)
    return small_db, small_data, kept[0], in_flight


@pytest.mark.slow
@pytest.mark.parametrize("writer", ["build", "ingest"])
def test_a_kill_inside_an_ingest_commit_is_recovered_by_the_next_writer(killed_in_commit,
                                                                       writer, tmp_path):
    db, data, kept, in_flight = killed_in_commit
    journal = Path(f"{db}-journal")
    # Readers cannot roll a journal back: they name the one command that does.
    refused = kb("search", "VAT", db=db, check_exit=1)
    assert "run `kb build` to recover it" in refused.stderr
    assert "Traceback" not in refused.stderr

    if writer == "build":
        kb("build", db=db, data=data, check_exit=0)
    else:
        other = write(tmp_path / "other.md", generated_doc(random.Random(2), 9, sections=1,
                                                           paragraphs=2))
        kb("ingest", other, "--case", "test-case", "--date", "2020", db=db, data=data,
           check_exit=0)
    assert not journal.exists()
    assert_consistent(db)
    documents = {r[0] for r in rows(db, "select id from documents")}
    assert kept in documents, "the committed document whose file moved must be kept"
    # The document in flight is whole or absent; its record was written just before the
    # commit, so a build reads it again from its file and the two agree.
    from ingest.manifest import Manifest

    assert documents <= set(Manifest(data).entries())
    kb("build", db=db, data=data, check_exit=0)
    documents = {r[0] for r in rows(db, "select id from documents")}
    assert kept in documents and set(Manifest(data).entries()) == documents
    assert_consistent(db)
    # Readers work again, and a later plain SQLite writer finds nothing to roll back.
    kb("search", "VAT", "--mode", "keyword", db=db, check_exit=0)
    import sqlite3

    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
    conn.close()


# -- hostile and oversized files ------------------------------------------------------------
@pytest.mark.slow
def test_a_zip_bomb_and_an_overlong_text_are_named_and_skipped_and_the_run_goes_on(
        small_db, small_data, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    bomb = write_docx_bomb(folder / "bomb.docx", xml_mb=150)
    assert bomb.stat().st_size < 1_000_000
    # Under --max-size, but about 7,000 passages: most of an hour of embedding before the fix.
    rng = random.Random(5)
    write(folder / "long.txt", generated_doc(rng, 1, sections=10, paragraphs=1200))
    assert (folder / "long.txt").stat().st_size > 6_000_000
    write(folder / "good.md", generated_doc(rng, 2, sections=2, paragraphs=2))
    started = time.monotonic()
    result = kb("ingest", folder, "--case", "test-case", "--date", "2020", db=small_db,
                data=small_data, check_exit=1)
    failed = sorted(line for line in result.stderr.splitlines() if line.startswith("failed"))
    assert len(failed) == 2, result.stderr
    assert "bomb.docx: unpacks to 151 MB" in failed[0] and "a zip bomb" in failed[0]
    assert "long.txt: too long (" in failed[1]
    assert "added       hostile/good.md" in result.stdout or "good.md" in result.stdout
    assert rows(small_db, "select count(*) from documents") == [(1,)]
    assert time.monotonic() - started < 240


# -- a database and its record ------------------------------------------------------------
def test_an_ingest_into_another_database_is_recorded_beside_that_database(small_data,
                                                                         tmp_path,
                                                                         monkeypatch):
    from kb import config

    scratch = tmp_path / "scratch.db"
    kb("build", db=scratch, data=small_data, check_exit=0)
    paper = write(tmp_path / "paper.md", generated_doc(random.Random(4), 4, sections=1,
                                                       paragraphs=2))
    env = {"LESSONS_DATA": None, "LESSONS_DB": None}  # unset
    checkout = config.PROJECT_ROOT / "data" / "ingested"
    before = set(checkout.glob("*.yaml")) if checkout.exists() else set()
    monkeypatch.chdir(config.PROJECT_ROOT)
    try:
        kb("ingest", paper, "--case", "test-case", "--date", "2020", db=scratch, env=env,
           check_exit=0)
        (doc,) = rows(scratch, "select id from documents")
        assert (small_data / "ingested" / f"{doc[0]}.yaml").exists()
        after = set(checkout.glob("*.yaml")) if checkout.exists() else set()
        assert after == before, "nothing may be recorded in the checkout's data/ingested/"
    finally:  # what the defect wrote into the checkout
        for leaked in (set(checkout.glob("*.yaml")) if checkout.exists() else set()) - before:
            leaked.unlink()
    # Another folder than the database's own is refused, naming the right one.
    other = tmp_path / "other-data"
    other.mkdir()
    refused = kb("ingest", paper, "--case", "test-case", db=scratch, data=other, check_exit=1)
    assert f"was built from {small_data.resolve()}" in refused.stderr
    assert not (other / "ingested").exists()


def test_build_never_overwrites_a_file_that_is_not_a_lessons_database(small_data, tmp_path):
    from ingest_samples import BOARD_PAPER, write_docx

    report = write_docx(tmp_path / "report.docx", BOARD_PAPER)
    before = report.read_bytes()
    advice = kb("search", "VAT", db=report, check_exit=1)
    assert "--force" not in advice.stderr and "not a lessons database" in advice.stderr
    refused = kb("build", "--force", db=report, data=small_data, check_exit=1)
    assert "not a lessons database" in refused.stderr and "Traceback" not in refused.stderr
    assert report.read_bytes() == before
    # Another program's SQLite database is refused the same way.
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table accounts (id integer primary key, owner text)")
    conn.close()
    kept = other.read_bytes()
    kb("build", "--force", db=other, data=small_data, check_exit=1)
    assert other.read_bytes() == kept


# -- curation: atomic and repeatable --------------------------------------------------------
def test_accepting_again_after_a_failed_accept_never_duplicates_the_lesson(small_db, small_data,
                                                                          tmp_path):
    from ingest import review
    from ingest_samples import BOARD_PAPER, write_docx

    paper = write_docx(tmp_path / "board.docx", BOARD_PAPER)
    kb("ingest", paper, "--case", "test-case", "--date", "2019-03", db=small_db,
       data=small_data, check_exit=0)
    (cid,) = rows(small_db, "select id from candidates where cue = 'lesson'")[0]
    review.accept(small_db, small_data, cid, title="Take tax advice early")
    # What the audit saw: the YAML was written, then the database update failed.
    import sqlite3

    with sqlite3.connect(small_db) as conn:
        conn.execute("update candidates set status = 'candidate', lesson = null")
    conn.close()
    again = kb("candidates", "--accept", cid, db=small_db, data=small_data, check_exit=0)
    assert "tc-take-tax-advice-early" in again.stdout
    text = (small_data / "cases" / "test-case.yaml").read_text()
    assert text.count("- id: tc-take-tax-advice") == 1
    assert rows(small_db, "select status, lesson from candidates where id = ?", [cid]) == [
        ("accepted", "tc-take-tax-advice-early")]


# -- file names, records and damaged databases ------------------------------------------------
def test_a_file_name_that_is_not_utf8_is_named_and_skipped(small_db, small_data, tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    write(folder / "good.md", generated_doc(random.Random(6), 6, sections=1, paragraphs=2))
    bad = os.path.join(os.fsencode(folder), b"bad\xffname.txt")
    with open(bad, "wb") as fh:
        fh.write(b"Commissioners should agree the budget early.\n")
    result = kb("ingest", folder, "--case", "test-case", db=small_db, data=small_data,
                check_exit=1)
    assert "Traceback" not in result.stderr
    assert "bad\\xffname.txt: the file name is not valid UTF-8" in result.stderr
    assert rows(small_db, "select count(*) from documents") == [(1,)]


def test_an_unwritable_record_leaves_nothing_in_the_database(small_db, small_data, tmp_path):
    (small_data / "ingested").write_text("not a folder")  # every record write fails
    paper = write(tmp_path / "paper.md", generated_doc(random.Random(8), 8, sections=1,
                                                       paragraphs=2))
    result = kb("ingest", paper, "--case", "test-case", db=small_db, data=small_data,
                check_exit=1)
    assert "Traceback" not in result.stderr and "Could not record paper.md" in result.stderr
    assert rows(small_db, "select count(*) from documents") == [(0,)]
    assert rows(small_db, "select count(*) from passages") == [(0,)]


def test_a_damaged_database_is_reported_and_rebuilt_not_called_up_to_date(small_db,
                                                                          small_data):
    import sqlite3

    with sqlite3.connect(small_db) as conn:
        conn.execute("drop table items_fts")
    conn.close()
    refused = kb("search", "VAT", db=small_db, check_exit=1)
    assert "Traceback" not in refused.stderr and "run `kb build`" in refused.stderr
    rebuilt = kb("build", db=small_db, data=small_data, check_exit=0)
    assert "up to date" not in rebuilt.stdout
    kb("search", "VAT", "--mode", "keyword", db=small_db, check_exit=0)

    # Corrupt pages: found by the build's integrity check, and rebuilt from data/.
    size = small_db.stat().st_size
    with open(small_db, "r+b") as fh:
        fh.seek(size // 2)
        fh.write(os.urandom(8192))
    damaged = kb("search", "VAT", db=small_db)
    assert "Traceback" not in damaged.stderr
    rebuilt = kb("build", db=small_db, data=small_data, check_exit=0)
    assert "could not be kept as it was" in rebuilt.stdout
    assert "up to date" not in rebuilt.stdout
    with sqlite3.connect(small_db) as conn:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
    conn.close()


# -- writers at once ----------------------------------------------------------------------------
@pytest.mark.slow
def test_writers_at_once_wait_for_each_other_and_lose_nothing(small_db, small_data, tmp_path):
    """An ingest holding the database for a while; meanwhile a second ingest, a reject, an
    accept and a build. Before: "database is locked" aborts, a traceback halfway through an
    accept, and an acknowledged document missing after the build."""
    from ingest.manifest import Manifest
    from ingest_samples import BOARD_PAPER, write_docx

    board = write_docx(tmp_path / "board.docx", BOARD_PAPER)
    kb("ingest", board, "--case", "test-case", "--date", "2019-03", db=small_db,
       data=small_data, check_exit=0)
    cues = dict(rows(small_db, "select cue, id from candidates"))
    rng = random.Random(12)
    long = write(tmp_path / "long.txt", generated_doc(rng, 1, sections=20, paragraphs=8))
    second = write(tmp_path / "second.md", generated_doc(rng, 2, sections=2, paragraphs=2))

    def start(*args):
        return subprocess.Popen([*KB, *map(str, args), "--db", str(small_db), "--data",
                                 str(small_data)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    first = start("ingest", long, "--case", "test-case", "--date", "2020")
    lock = small_db.with_name(f".{small_db.name}.lock")
    deadline = time.monotonic() + 120
    while first.poll() is None and time.monotonic() < deadline and not (
            lock.exists() and lock.read_text().startswith(str(first.pid))):
        time.sleep(0.05)
    others = [start("ingest", second, "--case", "test-case", "--date", "2020"),
              start("candidates", "--reject", cues["should"]),
              start("candidates", "--accept", cues["lesson"], "--title", "Take tax advice"),
              start("build", "--force")]
    results = [(run, *run.communicate(timeout=600)) for run in [first, *others]]
    for run, out, err in results:
        assert run.returncode == 0, err + out
        assert "Traceback" not in err and "locked" not in err
    assert any("waiting for another kb command" in err for _, _, err in results[1:])
    assert "added" in results[1][1]  # the second ingest: acknowledged, and kept
    documents = {r[0] for r in rows(small_db, "select id from documents")}
    assert len(documents) == 3 and set(Manifest(small_data).entries()) == documents
    assert dict(rows(small_db, "select id, status from candidates where id in (?, ?)",
                     [cues["should"], cues["lesson"]])) == {
        cues["should"]: "rejected", cues["lesson"]: "accepted"}
    text = (small_data / "cases" / "test-case.yaml").read_text()
    assert text.count("- id: tc-take-tax-advice") == 1
    assert_consistent(small_db)


@pytest.mark.slow
def test_a_killed_builds_temporary_files_are_removed_by_the_next_build(small_db, small_data):
    leftovers = lambda: sorted(small_db.parent.glob(f".{small_db.name}.*.building*"))  # noqa: E731
    run = killed_at("building", small_db, "build", "--force", "--data", small_data)
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr
    assert leftovers(), "a build killed while writing leaves its temporary file"
    kb("search", "VAT", "--mode", "keyword", db=small_db, check_exit=0)  # the old one is intact
    kb("build", db=small_db, data=small_data, check_exit=0)
    assert leftovers() == []


def in_namespace(setup: str, *args, after: str = "true") -> subprocess.CompletedProcess:
    """Run `kb ARGS` in a private mount namespace after `setup` (a read-only bind mount, a
    small tmpfs), then `after`: real file-system faults, seen by this process only. The
    exit code is kb's, or 99 if `after` fails."""
    import shlex

    command = " ".join(shlex.quote(str(a)) for a in [*KB, *args])
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                             f"{setup} || exit 98; {command}; code=$?; {after} || exit 99; "
                             "exit $code"], capture_output=True, text=True, timeout=600)
    if result.returncode == 98 or "unshare failed" in result.stderr:
        pytest.skip(f"no private mounts here: {result.stderr.strip()}")
    return result


@pytest.mark.parametrize("fault", ["read-only folder", "full disk"])
def test_a_build_that_cannot_write_says_so_and_keeps_the_old_database(small_db, small_data,
                                                                     tmp_path, fault):
    folder = tmp_path / "db-folder"
    folder.mkdir()
    db = folder / "kb.db"
    if fault == "read-only folder":
        small_db.rename(db)
        setup = f"mount --bind -o ro {folder} {folder}"
        after = "true"
        expected = "Cannot write in"
    else:  # room for the old database (and the lock file), not for a new one beside it
        room = (small_db.stat().st_size // 4096 + 3) * 4096
        setup = (f"mount -t tmpfs -o size={room} tmpfs {folder} && cp {small_db} {db} && "
                 f"touch {folder}/.kb.db.lock")
        after = f"cmp -s {small_db} {db} && ! ls -a {folder} | grep -q building"
        expected = "the old database is unchanged"
    result = in_namespace(setup, "build", "--force", "--db", db, "--data", small_data,
                          after=after)
    assert result.returncode == 1, result.stderr + result.stdout
    assert "Traceback" not in result.stderr and expected in result.stderr
    if fault == "read-only folder":
        kb("search", "VAT", "--mode", "keyword", db=db, check_exit=0)
