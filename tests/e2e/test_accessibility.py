"""Accessibility (issue 14, point 7): axe-core on every staff page and the person's page, in
Dutch, French and English; no serious or critical violation.

axe-core comes from npm (package.json pins it; ``npm install`` puts it in node_modules/) and is
injected into each page at test time; it is never served by the application.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from cases.models import Case, State
from counselling.reach import links
from tests import factories as f
from tests.conftest import need
from tests.e2e.test_browser import PASSWORD, world  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("nl", "fr", "en")


@pytest.fixture(scope="module")
def axe_source():
    need(AXE.exists(), f"the accessibility tests need axe-core at {AXE} (run `npm install`)")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page, axe_source) -> list[str]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def login(context, live_server, username: str, language: str):
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def check(page, url: str, axe_source, found: dict) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    problems = serious_violations(page, axe_source)
    if problems:
        found[url] = problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_axe_violations_on_staff_pages(browser, live_server, world, axe_source, language):  # noqa: F811
    case, intake = world["case"], world["intake"]
    office = case.office
    f.FacilityFactory(code="CC-AXE", name="Closed centre Vottem", capacity=77)
    proposed = f.CaseFactory(office=office, state=State.ORIENTATION, escalation_proposed_at=timezone.now(),
                             escalation_motivation="Refused every option.", departure_deadline=timezone.localdate() - dt.timedelta(days=3),
                             person=f.PersonFactory(family_name="Morina", given_names="Arben"))
    Case.objects.filter(pk=proposed.pk).update(counsellor=case.counsellor)
    context = browser.new_context(bypass_csp=True, locale={"nl": "nl-BE", "fr": "fr-BE", "en": "en-GB"}[language], viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    found: dict[str, list[str]] = {}
    base = live_server.url
    page = login(context, live_server, "sara", language)
    for path in ["/", "/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/conversations/{intake.pk}/log/",
                 f"/cases/{case.pk}/conversations/{intake.pk}/reschedule/", f"/cases/{case.pk}/conversations/{intake.pk}/cancel/",
                 f"/cases/{case.pk}/conversations/walk-in/", f"/operations/letters/{intake.pk}/"]:
        check(page, base + path, axe_source, found)
    context.clear_cookies()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = login(context, live_server, "lien", language)
    for path in ["/", "/cases/", f"/cases/{proposed.pk}/", "/dashboards/office/", "/dashboards/conversations/", "/reach/show-up/",
                 "/operations/", "/returns/overdue/", "/returns/figures/", "/detention/pending/", "/cases/duplicates/",
                 f"/cases/{proposed.pk}/access/", f"/cases/{proposed.pk}/history/"]:
        check(page, base + path, axe_source, found)
    context.close()
    assert not found, json.dumps(found, indent=1)


def test_no_serious_axe_violations_for_the_coordinator_and_the_person(browser, live_server, world, axe_source):  # noqa: F811
    from returnpath import roles

    f.UserFactory(username="coord.axe", groups=[roles.NATIONAL_COORDINATOR])
    f.FacilityFactory(code="CC-AXE2", name="Caricole", capacity=100)
    context = browser.new_context(bypass_csp=True, locale="en-GB", viewport={"width": 1280, "height": 900})
    found: dict[str, list[str]] = {}
    page = login(context, live_server, "coord.axe", "en")
    for path in ["/dashboards/national/", "/reach/show-up/", "/cases/"]:
        check(page, live_server.url + path, axe_source, found)
    intake = world["intake"]
    person_path = links.person_url(intake).split("127.0.0.1:8000", 1)[1]
    for language in ("nl", "ar", "fa"):
        check(page, f"{live_server.url}{person_path}?lang={language}", axe_source, found)
    check(page, f"{live_server.url}/reach/p/nothing/", axe_source, found)
    context.close()
    assert not found, json.dumps(found, indent=1)
