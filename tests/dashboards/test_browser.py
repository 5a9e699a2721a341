"""Both dashboards in Debian's Chromium (Playwright) against the live server on PostgreSQL.

(``reference_data`` is the shared fixture of tests/conftest.py: roles and playbooks.)

Screenshots go to test-artifacts/screenshots/dashboards-*.png (always: they are reviewed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium():
    need(os.path.exists(CHROMIUM), f"the browser test needs Debian's Chromium at {CHROMIUM}")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM and Playwright's loop share the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _signed_in(chromium, live_server, client, user):
    client.force_login(user)
    context = chromium.new_context(locale="en-GB", viewport={"width": 1366, "height": 900}, timezone_id="Europe/Brussels")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context


def test_both_dashboards_in_chromium(reference_data, world, live_server, client, chromium):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = _signed_in(chromium, live_server, client, world.manager)
    page = context.new_page()
    page.goto(f"{live_server.url}/dashboards/office/")
    assert page.get_by_role("heading", level=1).inner_text().endswith(world.office.name)
    assert page.locator(".tile-main .tile-value").inner_text() == "10"
    assert page.locator("svg.chart title").first.text_content() == "Open cases by state"
    assert page.locator("svg.chart-columns").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "dashboards-office.png"), full_page=True)
    # A figure is a link to the cases that make it up.
    page.locator(".tile", has_text="No planned conversation").click()
    page.wait_for_url(re.compile(r"/cases/\?.*no_planned=1"))
    context.close()

    context = _signed_in(chromium, live_server, client, world.coordinator)
    page = context.new_page()
    page.goto(f"{live_server.url}/dashboards/national/")
    assert page.get_by_role("heading", level=1).inner_text() == "National dashboard"
    # htmx: choosing a quarter swaps the dashboard in place and keeps the choice in the address.
    page.select_option("#quarter-select", str(world.quarter))
    page.wait_for_url(re.compile(rf"quarter={world.quarter}"))
    page.get_by_role("heading", name=re.compile(rf"Eurostat categories · {world.quarter}")).wait_for()
    eurostat = page.locator("table", has=page.locator("caption", has_text="Eurostat categories"))
    assert eurostat.locator("tfoot td").nth(1).inner_text() == "3"  # MA, DZ, SY ordered to leave
    assert page.locator("table.occupancy").first.locator("tbody tr").first.inner_text().startswith(world.facility.name)
    page.screenshot(path=str(SCREENSHOTS / "dashboards-national.png"), full_page=True)
    context.close()
