"""Fixtures for the plan check tests: one checker over the session's built database."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def checker(engine):
    from kb.check import PlanChecker

    return PlanChecker(engine)
