"""The law wins and four eyes on liberty, in real Chromium against the live server (issues 9, 12)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, DetentionDecision, State
from offices.models import Membership
from tests import factories as f
from tests.e2e.test_browser import sign_in, world  # noqa: F401 (the world fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_placement_in_detention_takes_effect_after_a_second_manager(page, live_server, world):  # noqa: F811
    office = world["case"].office
    f.staff(username="jan", office=office, role=Membership.Role.MANAGER)  # the second pair of eyes ("lien" is the first)
    case = f.CaseFactory(office=office, state=State.FORCED_RETURN, person=f.PersonFactory(family_name="Okafor", sex="M"))
    f.FacilityFactory(code="CC-LEGAL", name="Closed centre Merksplas", capacity=110, kind="closed_centre")

    sign_in(page, live_server, "lien")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#placements summary").click()
    page.get_by_label("Facility").select_option(label="Closed centre Merksplas (Closed centre)")
    page.get_by_label("Motivation").first.fill("Risk of absconding; flight planned.")
    page.get_by_role("button", name="Record the placement").click()
    page.wait_for_url(f"**/cases/{case.pk}/#detention")
    assert "Awaiting a second person" in page.locator("#detention").inner_text()
    assert not case.placements.exists()

    page.context.clear_cookies()
    sign_in(page, live_server, "jan")
    page.get_by_role("link", name="Detention to confirm").click()
    page.get_by_role("link", name=f"#{case.pk}", exact=False).click()
    page.locator(f"#pending-detention-{DetentionDecision.objects.get(case=case).pk}").get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/cases/{case.pk}/#detention")
    text = page.locator("#detention").inner_text()
    assert "Days held" in text and timezone.localdate().strftime("%d/%m/%Y") in text
    assert case.placements.get().facility.name == "Closed centre Merksplas"


def test_a_granted_asylum_stops_forced_return_in_the_browser(page, live_server, world):  # noqa: F811
    office = world["case"].office
    case = f.CaseFactory(office=office, state=State.FORCED_RETURN, removal_planned_on=timezone.localdate() + dt.timedelta(days=4),
                         person=f.PersonFactory(family_name="Nazari"))
    f.ProcedureFactory(case=case, kind="asylum_application", suspensive=False,
                                   lodged_on=timezone.localdate() - dt.timedelta(days=30))
    Case.objects.filter(pk=case.pk).update(pending_procedures=1)
    sign_in(page, live_server, "lien")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#procedures summary", has_text="Record the decision").click()
    page.get_by_label("Decision").select_option("granted")
    page.get_by_label("Decided on").fill(timezone.localdate().isoformat())  # a native date input
    page.get_by_role("button", name="Save the decision").click()
    page.wait_for_url(f"**/cases/{case.pk}/#procedures")
    case.refresh_from_db()
    assert case.state == State.LEGAL_STAY_REVIEW and case.removal_planned_on is None
    assert "Route to legal stay granted" in page.content()
