"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

Screenshots of the page are written to test-artifacts/screenshots/ when a browser test fails
(and of every page a test names with ``shoot()`` when RP_SCREENSHOTS=1, to review the design).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    need(os.path.exists(CHROMIUM), f"the browser tests need Debian's Chromium at {CHROMIUM}")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM and Playwright's loop share the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900}, timezone_id="Europe/Brussels")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        # A broken page must not hide the test's own failure.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot of the current page under a name (always on failure; on request otherwise)."""
    taken = []

    def take(name: str) -> None:
        taken.append(name)
        if os.environ.get("RP_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


# Kept importable for older imports; the fixtures live in tests/conftest.py.
from tests.conftest import ensure_reference_data  # noqa: E402, F401
