"""The counsellor's workplace in real Chromium against the live server on PostgreSQL (issue 4).

Run: DATABASE_URL=postgres://... pytest tests/e2e/test_browser.py -m browser
RP_SCREENSHOTS=1 also writes screenshots of My day, the caseload and the case page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from cases.models import Case, State
from counselling.models import Conversation
from offices.models import Membership
from tests import factories as f

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"


@pytest.fixture
def world(reference_data):
    """A small office: a counsellor with a few cases, one of them with today's intake."""
    office = f.OfficeFactory(code="BXL-E2E", name="Brussels Midi", province="brussels")
    f.add_weekday_hours(office, opens=dt.time(8), closes=dt.time(20))
    other_office = f.OfficeFactory(code="LGE-E2E", name="Liège Centre", province="liege", postcode="4000", municipality="Liège")
    counsellor = f.staff(username="sara", office=office, languages=("nl", "fr", "en"))
    counsellor.first_name, counsellor.last_name = "Sara", "Peeters"
    counsellor.save()
    f.staff(username="marc", office=other_office)
    f.staff(username="lien", office=office, role=Membership.Role.MANAGER)
    today = timezone.localdate()
    person = f.PersonFactory(family_name="Benali", given_names="Amira", nationality="MA", languages=["ar", "fr"], sex="F")
    case = f.CaseFactory(office=office, counsellor=counsellor, person=person, departure_deadline=today + dt.timedelta(days=5))
    f.OrderFactory(case=case, external_reference="OQT-2025-118", notified_on=today - dt.timedelta(days=25),
                   issued_on=today - dt.timedelta(days=26), departure_deadline=today + dt.timedelta(days=5))
    intake = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(minutes=20), is_intake=True, interpreter_language="ar")
    Case.objects.filter(pk=case.pk).update(next_conversation_at=intake.planned_at)
    for name, given, days, state in [("Haddad", "Youssef", 18, State.ORIENTATION), ("Tesfay", "Mekdes", 2, State.VOLUNTARY_RETURN),
                                     ("Kovacs", "Bence", 40, State.LEGAL_STAY_REVIEW), ("Rahimi", "Farid", -4, State.ORIENTATION)]:
        other = f.CaseFactory(office=office, counsellor=counsellor, state=state, departure_deadline=today + dt.timedelta(days=days),
                              person=f.PersonFactory(family_name=name, given_names=given, languages=["en"]))
        if days > 10:
            conversation = f.ConversationFactory(case=other, planned_at=timezone.now() + dt.timedelta(days=2, hours=1))
            Case.objects.filter(pk=other.pk).update(next_conversation_at=conversation.planned_at)
    return {"case": case, "intake": intake}


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_counsellor_day(page, live_server, world, shoot):
    case = world["case"]
    sign_in(page, live_server, "sara")
    assert page.get_by_role("heading", name="My day").is_visible()
    assert page.locator("#h-today").is_visible()
    assert "BENALI" in page.content()
    shoot("my_day")

    # Find the case by name in the caseload (live search through htmx).
    page.get_by_role("link", name="Caseload").click()
    page.get_by_label("Search").fill("Benal")
    page.get_by_label("Search").press("Enter")
    page.wait_for_function("() => !document.body.innerText.includes('HADDAD')")
    assert "benal" not in page.url.lower()  # personal data never in the URL
    shoot("caseload_search")
    page.goto(f"{live_server.url}/cases/")
    shoot("caseload")
    page.get_by_label("Search").fill("Benali")
    page.get_by_role("button", name="Show cases").click()
    page.get_by_role("link", name=re.compile("BENALI")).click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert page.title() == f"Case #{case.pk} · ReturnPath"
    # A refused step shows why, instead of silently missing.
    start = page.locator("#step-start_orientation")
    assert "The intake conversation has not been held yet." in start.inner_text()
    shoot("case_before")

    # Log the intake as held; the next conversation is proposed and saved with it.
    page.get_by_role("link", name="Log what happened").click()
    page.get_by_role("checkbox", name="Voluntary return", exact=True).check()
    page.get_by_label("Considering voluntary return").check()
    page.get_by_label("Notes").fill("First meeting. Explained every option; she wants to talk to her family.")
    page.get_by_label("Agreed next step").fill("Bring the passport next time")
    proposed = page.get_by_label("Date and time").input_value()
    assert proposed
    shoot("log_conversation")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "The next one is planned on" in page.locator(".messages").inner_text()
    planned = Conversation.objects.get(case=case, status=Conversation.Status.PLANNED)
    assert timezone.localtime(planned.planned_at).strftime("%Y-%m-%dT%H:%M") == proposed  # native datetime-local
    assert "Bring the passport next time" in page.locator("#timeline").inner_text()

    # Now the step is possible: take it.
    page.locator("#step-start_orientation").get_by_role("button", name="Start orientation").click()
    page.wait_for_url(f"**/cases/{case.pk}/#trajectory")
    assert "Orientation" in page.locator(".summary").inner_text()
    # Escalation is the manager's, and the law's guards still refuse it: the counsellor sees
    # "not yet" with every reason, and no proposal the manager would have to refuse (issue 14).
    escalate = page.locator("#step-escalate_to_forced_return")
    assert "Only an office manager may decide an escalation to forced return." in escalate.inner_text()
    assert "not yet" in escalate.inner_text()
    assert escalate.get_by_text("Propose escalation to the office manager").count() == 0
    shoot("case")


def test_french_and_other_office(page, live_server, world):
    case = world["case"]
    sign_in(page, live_server, "sara")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("button", name="Français").click()  # one click (issue 14)
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Maroc" in page.locator("#person").inner_text()
    # Our own interface, its state names and guard sentences are French too.
    assert page.get_by_role("heading", name="Personne et ménage").is_visible()
    assert page.get_by_role("link", name="Ma journée").is_visible()
    page.get_by_role("link", name="Ma journée").click()
    page.wait_for_load_state()
    assert page.title().startswith("Ma journée")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("form.logout button").click()
    page.wait_for_url("**/accounts/login/**")

    page.get_by_label(re.compile("Nom d.utilisateur|Username")).fill("marc")
    page.get_by_label(re.compile("Mot de passe|Password")).fill(PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))
    response = page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert response.status == 404


def test_manager_decides_and_placement_refusal_is_explained(page, live_server, world, shoot):
    office = world["case"].office
    family = f.CaseFactory(office=office, state=State.ORIENTATION, minor_children=2, public_order=True,
                           person=f.PersonFactory(family_name="Morina", given_names="Arben"), escalation_proposed_at=timezone.now(),
                           escalation_motivation="Refused voluntary return three times.", target_group="family",
                           early_escalation_ground="shortened")  # issue 9: a shortening decision, not the flag
    f.FacilityFactory(code="CC-E2E", name="Closed centre Vottem", capacity=77)
    sign_in(page, live_server, "lien")
    assert "Waiting for your decision" in page.content()
    shoot("my_day_manager")
    page.get_by_role("link", name=re.compile("MORINA")).first.click()
    page.locator("#step-escalate_to_forced_return summary").click()
    page.get_by_label("Written motivation").fill("Public order; voluntary return refused in every conversation.")
    page.locator("#step-escalate_to_forced_return").get_by_role("button", name="Escalate to forced return").click()
    page.wait_for_url(f"**/cases/{family.pk}/#trajectory")
    assert Case.objects.get(pk=family.pk).state == State.FORCED_RETURN
    page.locator("#placements summary").click()
    page.get_by_label("Facility").select_option(label="Closed centre Vottem (Closed centre)")
    page.get_by_role("button", name="Record the placement").click()
    assert "Families with minor children are never held in a closed centre" in page.locator("#placements .error-inline").inner_text()
    shoot("case_manager_refusal")
