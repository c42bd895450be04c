"""A pytest plugin for bench/suite.py: each test's wall time and CPU time (setup, call and
teardown together; the CPU of this process and of the child processes it waited for),
written as JSON where $LESSONS_TEST_TIMES says. CPU seconds are the figure to compare on
this shared machine: under a load of 10 a test's wall time is several times its CPU time
and changes from run to run, its CPU time much less. Works under pytest-xdist: the workers
attach the figures to their reports and the controller collects them.

Load it with `-p bench.test_times`.
"""

from __future__ import annotations

import json
import os
import time

import pytest

ENV = "LESSONS_TEST_TIMES"
KEY = "bench.test_times"
_START = pytest.StashKey[tuple]()
_times: dict[str, dict] = {}  # the controller's: test id -> {"wall", "cpu"}


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item.stash[_START] = (time.perf_counter(), _cpu())
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "teardown" and _START in item.stash:
        wall, cpu = item.stash[_START]
        outcome.get_result().user_properties.append(
            (KEY, {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu}))


def pytest_runtest_logreport(report):
    for key, value in report.user_properties:
        if key == KEY and report.when == "teardown":
            _times[report.nodeid] = value


def pytest_sessionfinish(session):
    if os.environ.get(ENV) and not hasattr(session.config, "workerinput"):  # the controller
        with open(os.environ[ENV], "w") as f:
            json.dump(_times, f, indent=1)
