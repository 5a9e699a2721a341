"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

Screenshots of the page are written to test-artifacts/screenshots/ when a browser test fails
(and of every page a test names with ``shoot()`` when RP_SCREENSHOTS=1, to review the design).
"""

from __future__ import annotations

import contextlib
import importlib
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


def ensure_reference_data() -> None:
    """Roles and playbooks come from a data migration; a transactional test's flush removes them."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from returnpath.roles import ROLE_PERMISSIONS

    migration = importlib.import_module("cases.migrations.0002_roles_and_playbooks")
    migration.create_playbooks(apps, None)
    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() == len(ROLE_PERMISSIONS):
        return
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture(scope="module", autouse=True)
def _restore_reference_data(django_db_blocker):
    """After the module's last live-server test has flushed the database, put the migration's data back,
    so the tests that follow (and the next --reuse-db run) find the roles and playbooks."""
    _used_test_database.clear()
    yield
    # Only when a test of this module really ran on the test database: otherwise (all skipped)
    # the connection could point at the developer's own database.
    if not _used_test_database:
        return
    with django_db_blocker.unblock():
        from django.db import connection

        try:
            ensure_reference_data()
        finally:
            connection.close()


_used_test_database: list[bool] = []


@pytest.fixture
def reference_data(transactional_db):
    _used_test_database.append(True)
    ensure_reference_data()
