"""Faults a writer must survive, with real `kb` processes killed at real moments: a kill
inside an ingest's commit (a hot journal), and what the next writer and readers do."""

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
from ingest_samples import generated_doc, write

KB = [sys.executable, "-m", "kb.cli"]


def kb(*args, db, data=None, check_exit=None, env=None, cwd=None, timeout=600):
    options = ["--db", str(db)] + (["--data", str(data)] if data else [])
    result = subprocess.run([*KB, *map(str, args), *options], capture_output=True, text=True,
                            timeout=timeout, env=env, cwd=cwd)
    if check_exit is not None:
        assert result.returncode == check_exit, result.stderr + result.stdout
    return result


def _stamp(path: Path) -> tuple:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def kill_inside_commit(db: Path, data: Path, folder: Path, attempts: int = 4) -> Path:
    """SIGKILL a real `kb ingest` at the moment it commits: the database file has begun to
    change while its rollback journal still exists. Returns the document in flight."""
    journal = Path(f"{db}-journal")
    rng = random.Random(7)
    for attempt in range(attempts):
        paper = write(folder / f"long-{attempt}.txt",
                      generated_doc(rng, attempt, sections=40, paragraphs=8))
        before = _stamp(db)
        run = subprocess.Popen([*KB, "ingest", str(paper), "--case", "test-case", "--date",
                                "2020", "--db", str(db), "--data", str(data)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while run.poll() is None and time.monotonic() < deadline:
            if journal.exists() and _stamp(db) != before:
                run.kill()
                break
        run.wait()
        if run.returncode == -signal.SIGKILL and journal.exists():
            return paper
        assert run.returncode in (0, -signal.SIGKILL)  # finished, or killed just after it
    pytest.fail(f"no kill landed inside a commit in {attempts} attempts")


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
def write_docx_bomb(path: Path, xml_mb: int) -> Path:
    """A .docx whose document.xml inflates to `xml_mb` MB of paragraphs from a few hundred
    KB on disk (the audit's bomb: 472 KB → 150 MB); everything else a real docx holds."""
    import zipfile

    from ingest_samples import BOARD_PAPER, write_docx

    real = write_docx(path.with_suffix(".real.docx"), BOARD_PAPER)
    paragraph = b"<w:p><w:r><w:t>Commissioners should agree the budget early.</w:t></w:r></w:p>"
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                out.writestr(member, source.read(member))
                continue
            xml = source.read(member)
            head, tail = xml.split(b"<w:body>")
            with out.open("word/document.xml", "w") as stream:
                stream.write(head + b"<w:body>")
                chunk = paragraph * (MB_CHUNK // len(paragraph))
                for _ in range(xml_mb):
                    stream.write(chunk)
                stream.write(tail)
    real.unlink()
    return path


MB_CHUNK = 1_000_000


@pytest.mark.slow
def test_a_zip_bomb_and_an_overlong_text_are_named_and_skipped_and_the_run_goes_on(
        small_db, small_data, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    bomb = write_docx_bomb(folder / "bomb.docx", xml_mb=150)
    assert bomb.stat().st_size < 1_000_000
    # Under --max-size, but about 8,000 passages: most of an hour of embedding before the fix.
    rng = random.Random(5)
    write(folder / "long.txt", generated_doc(rng, 1, sections=10, paragraphs=800))
    assert (folder / "long.txt").stat().st_size > 4_000_000
    write(folder / "good.md", generated_doc(rng, 2, sections=2, paragraphs=2))
    started = time.monotonic()
    result = kb("ingest", folder, "--case", "test-case", "--date", "2020", db=small_db,
                data=small_data, check_exit=1, timeout=240)
    failed = sorted(line for line in result.stderr.splitlines() if line.startswith("failed"))
    assert len(failed) == 2, result.stderr
    assert "bomb.docx: unpacks to 150 MB" in failed[0]
    assert "long.txt: too long (" in failed[1]
    assert "added       hostile/good.md" in result.stdout or "good.md" in result.stdout
    assert rows(small_db, "select count(*) from documents") == [(1,)]
    assert time.monotonic() - started < 240
