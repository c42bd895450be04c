"""The house rules of the source tree that a reader relies on without checking."""

from __future__ import annotations

import ast
from collections import defaultdict

from kb import config

PACKAGES = ("kb", "ingest", "tui", "web", "bench", "tests")


def _project_modules():
    for package in PACKAGES:
        yield from sorted((config.PROJECT_ROOT / package).rglob("*.py"))


def test_no_two_project_classes_share_a_name():
    """One name, one shape: a read view is not called what its record is called, so a
    reader never has to check which module a `Lesson` came from."""
    where = defaultdict(list)
    for path in _project_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                where[node.name].append(f"{path.relative_to(config.PROJECT_ROOT)}:{node.lineno}")
    assert len(where) > 100  # the walk found the project's classes
    assert {name: places for name, places in where.items() if len(places) > 1} == {}
