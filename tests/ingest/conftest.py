"""Fixtures for the ingest tests: a private copy of the built database and of data/ for
each test, real sample files of every format, and an ingester with the session's model."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from ingest_samples import BOARD_PAPER, WRITERS


@pytest.fixture
def db(built_db, tmp_path, data_copy) -> Path:
    """A copy of the database built from data/, for one test to ingest into, as if built
    from the test's copy of data/ (the same files): the folder its ingests are recorded in."""
    path = tmp_path / "lessons.db"
    shutil.copy(built_db, path)
    with sqlite3.connect(path) as conn:
        conn.execute("update meta set value = ? where key = 'data_dir'", [str(data_copy.resolve())])
    conn.close()
    return path


@pytest.fixture
def papers(tmp_path) -> Path:
    """A folder holding the board paper in every format, as papers/board.<format>."""
    folder = tmp_path / "papers"
    folder.mkdir()
    for fmt, write in WRITERS.items():
        write(folder / f"board.{fmt}", BOARD_PAPER)
    return folder


@pytest.fixture
def make_ingester(db, data_copy, embedder):
    """Ingesters over the test's database and data/ copy, closed after the test."""
    from ingest.ingester import Ingester

    made = []

    def make(**options):
        ingester = Ingester(options.pop("db_path", db), options.pop("data_dir", data_copy),
                            embedder=embedder, **options)
        made.append(ingester)
        return ingester

    yield make
    for ingester in made:
        ingester.close()


SMALL_SOURCES = """\
# The one source of the small test corpus.
sources:
  - id: test-report
    title: "Test report on an integrated care contract"
    publisher: A test publisher
    date: 2019-01
    kind: report
    standing: independent-review
"""

SMALL_CASE = """\
case:
  slug: test-case
  name: Test integrated care contract
  commissioner: A test clinical commissioning group
  care_model: Integrated care for older people.
  contract_form: Lead provider contract.
  status: terminated
  outcome: Ended early.
  summary: A small case, so that tests can build a database in a second.
  sources: [test-report]

lessons:
  # A curator's comment, which an accepted lesson must leave in place.
  - id: tc-agree-vat-early
    title: Agree the VAT position early
    event: >-
      The VAT position of the provider was not confirmed before award.
    lesson: Confirm the tax consequences of the provider's legal form.
    recommendation: Take tax advice before award.
    themes: [tax-vat, finance]
    stage: award-assurance
    outcome: went-wrong
    evidence:
      - source: test-report
        locator: page 3
        kind: finding
        paraphrase: The VAT position was not confirmed before award.

facts:
  - id: tc-term
    label: Term
    value: 5 years
    source: test-report
    locator: page 1
"""


@pytest.fixture
def small_data(tmp_path) -> Path:
    """A data directory with one small case: builds from it embed three items, not 300."""
    data = tmp_path / "small-data"
    (data / "cases").mkdir(parents=True)
    (data / "sources.yaml").write_text(SMALL_SOURCES)
    (data / "cases" / "test-case.yaml").write_text(SMALL_CASE)
    return data


@pytest.fixture
def small_db(small_data, tmp_path) -> Path:
    from ingest.build import build

    path = tmp_path / "small.db"
    build(path, small_data)
    return path
