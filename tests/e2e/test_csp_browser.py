"""The Content-Security-Policy in a real browser (decision 021): pages, htmx, the letter's print
button, Swagger UI and Redoc all work and the browser reports no violation."""

from __future__ import annotations

import re

import pytest

from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "secret-pass-123"


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text or m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_api_docs_render_under_the_policy(page, live_server, reference_data):
    problems = _watch(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "ReturnPath API" in page.locator(".swagger-ui .info .title").inner_text()
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_role("heading", name=re.compile("ReturnPath API")).first.wait_for()
    # Redoc's footer logo comes from its CDN: blocking it is the policy working (nothing from outside).
    assert [p for p in problems if "Content Security Policy" in p and "cdn.redoc.ly" not in p] == []


def test_pages_and_htmx_work_under_the_policy(page, live_server, reference_data, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Benali"))
    problems = _watch(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("counsellor.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"{live_server.url}/cases/")
    page.locator("#id_q").fill("benali")
    page.locator("#caseload-results").get_by_text("BENALI").first.wait_for()  # htmx swapped the results in
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.get_by_text("BENALI").first.is_visible()
    assert [p for p in problems if "Content Security Policy" in p] == []
