"""Shared fixtures: every test gets its own empty result cache and data folder.

Browser tests also get the running app (`app_url`, one server per session) and a fresh browser
page (`app_page`) whose screenshots are saved in test-artifacts/ when the test fails.
"""

import os
import re
import shutil
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Point the engine's on-disk caches at a fresh folder, so no test sees another's results."""
    monkeypatch.setenv("KMEANS_LAB_CACHE_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("KMEANS_LAB_DATA_DIR", str(tmp_path / "datasets"))
    monkeypatch.delenv("KMEANS_LAB_MIRROR_URL", raising=False)
    return tmp_path


# --- Browser tests: the app in a real browser -------------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell in teardown that it failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(item) -> bool:
    return any(report.failed for report in item.stash.get(_REPORTS, {}).values())


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`streamlit run app.py` on a free loopback port with empty caches; yields (url, workdir)."""
    from browser_support import streamlit_server

    workdir = tmp_path_factory.mktemp("streamlit-app")
    with streamlit_server(workdir) as (url, _process):
        yield url, workdir


@pytest.fixture(scope="session")
def app_url(app_server):
    return app_server[0]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through Playwright; skipped where it is not installed, except on CI."""
    from browser_support import CHROMIUM, launch_chromium
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        message = f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def app_page(request, chromium, app_server):
    """A new browser page (its own session of the app); on failure, screenshots of every page."""
    from browser_support import PAGES, SLOW_MS

    url, workdir = app_server
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(SLOW_MS)
    page = context.new_page()
    yield page
    if _failed(request.node):
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        _save_screenshots(page, url, PAGES, folder)
        shutil.copy(workdir / "streamlit.log", folder / "streamlit.log")
    context.close()


def _save_screenshots(page, url, pages, folder):
    """The page as the test left it, then each page of the app; a screenshot that fails is skipped."""
    shots = [("as-left", None), *((path or "default", path) for path in pages.values())]
    for name, path in shots:
        try:
            if name != "as-left":
                page.goto(f"{url}/{path}", wait_until="domcontentloaded", timeout=30_000)
                page.wait_for_timeout(3_000)  # screenshots only: show whatever has rendered by then
            page.screenshot(path=folder / f"{name}.png", full_page=True, timeout=30_000)
        except Exception as exc:  # never let a failed screenshot hide the test's own failure
            (folder / f"{name}.txt").write_text(f"no screenshot: {exc}\n")


# --- PostgreSQL: a real server for the audience store's tests ---------------------------------------


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server's URL: ``$KMEANS_LAB_TEST_POSTGRES_URL``, else a throw-away server started
    from Debian's binaries for this session. None to be had: a skip, except on CI, where it fails."""
    from postgres_support import TEST_URL_ENV, PostgresUnavailable, start_postgres

    if url := os.environ.get(TEST_URL_ENV):
        yield url
        return
    try:
        server = start_postgres()
    except PostgresUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests need a server: {error}")
        pytest.skip(f"PostgreSQL tests need a server: {error}")
    yield server.url
    server.remove()
