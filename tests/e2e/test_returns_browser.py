"""The return itself in real Chromium: a counsellor refers a voluntary return to a partner and
follows its stages and the consular timer on the case page and on My day (issue 12)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from cases.api.auth import create_client_token
from cases.models import State
from cases.returns import services
from cases.returns.models import Referral
from tests import factories as f

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"


def test_counsellor_refers_and_follows_the_return(page, live_server, reference_data, shoot):
    office = f.OfficeFactory(code="BXL-R", name="Brussels Nord", province="brussels")
    counsellor = f.staff(username="sara", office=office)
    today = timezone.localdate()
    person = f.PersonFactory(family_name="Diallo", given_names="Mariama", nationality="GN", languages=["fr"], sex="F")
    case = f.CaseFactory(office=office, counsellor=counsellor, person=person, state=State.VOLUNTARY_RETURN,
                         voluntary_return_agreed_at=timezone.now())
    f.OrderFactory(case=case)
    partner, _created, _token = create_client_token(name="Return partner", scopes=["returns:partner"])
    services.record_consular_request(actor=counsellor, case_id=case.pk, kind="laissez_passer", country="GN",
                                     consulate="Embassy of Guinea", sent_on=today - dt.timedelta(days=40))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("sara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert "No answer yet from the consulate (Guinea)" in page.locator("#h-return-timers").locator("..").inner_text()

    page.goto(f"{live_server.url}/cases/{case.pk}/")
    care = page.locator("#care")
    care.get_by_text("Change the vulnerabilities").click()
    care.get_by_label("Pregnancy").check()
    care.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/cases/{case.pk}/#care")
    assert "Pregnancy" in page.locator(".case-head").inner_text()

    referral = page.locator("#referral")
    referral.get_by_text("Refer to a return partner").click()
    referral.get_by_label("Return partner").select_option(label="Return partner")
    referral.get_by_label("Reintegration wishes").fill("Sewing workshop")
    referral.get_by_role("button", name="Send the referral").click()
    page.wait_for_url(f"**/cases/{case.pk}/#referral")
    assert "Return partner: Referred" in page.locator(".case-head").inner_text()
    shoot("case_referred")

    sent = Referral.objects.get(case=case)
    assert sent.vulnerabilities == ["pregnancy"] and sent.reintegration_wishes == "Sewing workshop"
    services.report_referral_stage(actor=partner.user, referral_id=sent.pk, stage="accepted")
    services.report_referral_stage(actor=partner.user, referral_id=sent.pk, stage="booked", flight="SN 245",
                                   flight_on=today + dt.timedelta(days=3))
    page.reload()
    assert "Return partner: Booked" in page.locator(".case-head").inner_text()
    assert "Flight SN 245" in page.locator("#timeline").inner_text()
    page.get_by_role("link", name="My day").click()
    assert "Flight SN 245 booked by Return partner" in page.locator("#h-return-timers").locator("..").inner_text()
    shoot("my_day_returns")
