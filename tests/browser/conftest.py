"""The real-browser harness: Playwright (Python) driving Debian's Chromium, headless, against a live server.

Tests under tests/browser/ are marked `browser` and get:
- `page`: a fresh browser page whose relative URLs go to the live server (pytest-django's `live_server`,
  a thread serving the app against the test database; the data is committed, so `transactional_db`);
- `sign_in(page, user)`: signs `user` in by giving the browser a session cookie;
- `sign_in_with_form(page, username, password)`: signs in through the sign-in page, as a person would;
- `screenshot(page, name)`: with AUTOSALES_SCREENSHOTS=docs/screenshots, writes the whole page there as `name`
  (the pictures in the docs); without it, nothing.
Run only these with `pytest -m browser`; skip them with `-m "not browser"`.

The journeys run on SQLite: what they prove is the pages and the browser, and every layer below them runs on
PostgreSQL in the rest of the suite. `BROWSER_ON_POSTGRES=1` runs them on PostgreSQL too.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.suite_runs import ON_POSTGRES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000  # a bound for a stuck page, not an assertion about speed
SCREENSHOTS = os.environ.get("AUTOSALES_SCREENSHOTS", "")

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="browser journeys run on SQLite (BROWSER_ON_POSTGRES=1 runs them here too)")
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if ON_POSTGRES and os.environ.get("BROWSER_ON_POSTGRES") != "1":
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=...)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the tests' own ORM calls are
    # still plain synchronous code, so Django's guard against ORM use inside async code does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, user): the browser is signed in as `user` (a session made on the server side)."""

    def _sign_in(page, user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return _sign_in


@pytest.fixture
def sign_in_with_form():
    """sign_in_with_form(page, username, password): signs in through the sign-in page."""

    def _sign_in(page, username, password="demo"):
        page.goto("/account/signin/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_load_state()

    return _sign_in


@pytest.fixture
def screenshot():
    """screenshot(page, name): the whole page as the PNG `name` in AUTOSALES_SCREENSHOTS when it is set.
    `settle_ms`: time the page needs to finish drawing after it loaded (Chromium's PDF viewer), spent only when
    a picture is written."""

    def _screenshot(page, name, *, settle_ms=0):
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            if settle_ms:
                page.wait_for_timeout(settle_ms)
            page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)

    return _screenshot
