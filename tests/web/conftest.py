"""Fixtures for the web tests: the site in-process over the session's built database, one
real `kb serve` per session over it for what only a server shows, each handed to tests
only once semantic search is ready (so that results do not depend on how fast the model
loaded), and a real headless Chromium. Tests that need a server of their own (a rebuild,
a missing database) start one with `liveserver.running_server`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from liveserver import InProcess, running_server, wait_for_semantic

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def site(built_db) -> InProcess:
    """The site over the session's database, in-process (liveserver.InProcess), handed to
    tests once its model (the session's: tests/conftest.py's session_model) is loaded, as
    `server` is."""
    from web.server import create
    from web.site import site_for

    datasette = create(built_db)  # starts loading the model in a thread
    site_for(datasette).engine.load_embedder()  # shares that load, then it is ready
    return InProcess(datasette)


@pytest.fixture(scope="session")
def server(built_db, tmp_path_factory):
    with running_server(built_db, tmp_path_factory.mktemp("serve") / "serve.log") as server:
        wait_for_semantic(server)
        yield server


@pytest.fixture(scope="module")  # not session: Playwright's running loop would break later asyncio tests
def chromium():
    """A headless Debian Chromium driven by Playwright; skipped where there is none, except
    on CI (CI=true), where a missing browser is a failure."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        problem = f"the playwright package is not installed ({exc})"
    if problem is None and not CHROMIUM.exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run on CI: {problem}")
        pytest.skip(f"browser tests need Chromium: {problem}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
