"""The return work in the browser: forms on the case page, header flags, My day, overdue, figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import State
from cases.returns import services
from cases.returns.models import ConsularRequest, Referral
from cases.returns.selectors import identification_figures
from tests import factories as f


def d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def test_the_case_page_shows_each_stage_and_the_flags_on_every_case_page(client, voluntary_case, counsellor, partner, today):
    partner_client, _api = partner
    client.force_login(counsellor)
    url = reverse("cases:detail", args=[voluntary_case.pk])
    response = client.post(reverse("cases:vulnerability", args=[voluntary_case.pk]),
                           {"pregnancy": "on", "trafficking_victim": "on", "note": "Seated near the toilet"})
    assert response.status_code == 302
    response = client.post(reverse("cases:refer", args=[voluntary_case.pk]), {
        "partner": partner_client.pk, "destination_country": "GN", "travellers": 2, "travellers_note": "Mother and baby",
        "consent_on": d(today), "medical_needs": "", "reintegration_wishes": "Sewing workshop",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    referral = Referral.objects.get()
    assert referral.vulnerabilities == ["pregnancy", "trafficking_victim"]
    assert "return-partner: Referred" in client.get(reverse("counselling:my_day")).content.decode()
    services.report_referral_stage(actor=partner_client.user, referral_id=referral.pk, stage="accepted")
    services.report_referral_stage(actor=partner_client.user, referral_id=referral.pk, stage="booked", flight="SN 245",
                                   flight_on=today + dt.timedelta(days=2))
    page = client.get(url).content.decode()
    assert "Victim of trafficking" in page and "Pregnancy" in page
    assert "Return partner: Booked" in page and "SN 245" in page
    # The flags travel to the other pages of the case.
    conversation = f.ConversationFactory(case=voluntary_case)
    other_page = client.get(reverse("counselling:reschedule", args=[voluntary_case.pk, conversation.pk])).content.decode()
    assert "Victim of trafficking" in other_page and "Return partner: Booked" in other_page
    # And the flight is on My day.
    my_day = client.get(reverse("counselling:my_day")).content.decode()
    assert "SN 245" in my_day


def test_a_refused_referral_shows_why_and_keeps_what_was_typed(client, case, voluntary_case, counsellor, partner, today):
    partner_client, _api = partner
    client.force_login(counsellor)
    form = {"partner": partner_client.pk, "destination_country": "GN", "travellers": 1, "consent_on": d(today),
            "reintegration_wishes": "Bakery"}
    response = client.post(reverse("cases:refer", args=[case.pk]), form)
    assert response.status_code == 400
    assert "needs the case in voluntary return" in response.content.decode()
    response = client.post(reverse("cases:refer", args=[voluntary_case.pk]), {**form, "consent_on": d(today + dt.timedelta(days=1))})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Consent cannot be given in the future" in body and "Bakery" in body
    assert Referral.objects.count() == 0


def test_consular_timers_show_on_my_day_and_on_the_managers_overdue_list(client, case, counsellor, manager, today):
    services.record_consular_request(actor=counsellor, case_id=case.pk, kind="laissez_passer", country="CD",
                                     consulate="Embassy of DR Congo", sent_on=today - dt.timedelta(days=45))
    client.force_login(counsellor)
    my_day = client.get(reverse("counselling:my_day")).content.decode()
    assert "No answer yet from the consulate" in my_day
    assert client.get(reverse("cases:returns_overdue")).status_code == 403
    client.force_login(manager)
    overdue = client.get(reverse("cases:returns_overdue")).content.decode()
    assert "Embassy of DR Congo" in overdue and f"#{case.pk}" in overdue
    assert "Follow-up due" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_the_browser_records_an_answer(client, case, counsellor, today):
    request = services.record_consular_request(actor=counsellor, case_id=case.pk, kind="laissez_passer", country="MA",
                                               consulate="Consulate of Morocco", sent_on=today - dt.timedelta(days=5))
    client.force_login(counsellor)
    prefix = f"consular-{request.pk}"
    response = client.post(reverse("cases:consular_update", args=[case.pk, request.pk]), {
        f"{prefix}-answer": "issued", f"{prefix}-answered_on": d(today), f"{prefix}-valid_until": d(today + dt.timedelta(days=30)),
        f"{prefix}-document_number": "LP-77",
    })
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.answer == "issued" and request.due_on is None


def test_removal_planning_says_why_not_while_unfit(client, forced_case, manager, today):
    services.record_unfit_to_travel(actor=manager, case_id=forced_case.pk, given_on=today)
    client.force_login(manager)
    page = client.get(reverse("cases:detail", args=[forced_case.pk])).content.decode()
    assert "Unfit to travel" in page and "no removal step until it is lifted" in page
    response = client.post(reverse("cases:plan_removal", args=[forced_case.pk]), {"planned_on": d(today + dt.timedelta(days=3))})
    assert response.status_code == 400
    assert "unfit to travel" in response.content.decode()


def test_figures_per_country_with_median_and_mean(client, case, counsellor, coordinator, manager, other_office, other_counsellor, today):
    sent = today - dt.timedelta(days=40)
    other = f.CaseFactory(office=other_office, counsellor=other_counsellor)
    rows = [(case, "GN", "issued", 10), (case, "GN", "refused", 20), (case, "GN", "issued", 40), (case, "GN", "pending", None),
            (other, "GN", "no_answer", 30), (other, "MA", "issued", 5)]
    for target, country, answer, days in rows:
        ConsularRequest.objects.create(case=target, country=country, consulate="x", sent_on=sent, answer=answer,
                                       answered_on=sent + dt.timedelta(days=days) if days else None)
    national = {row.country.code: row for row in identification_figures(coordinator)}
    guinea = national["GN"]
    assert (guinea.requests, guinea.answered, guinea.issued, guinea.refused, guinea.no_answer, guinea.pending) == (5, 3, 2, 1, 1, 1)
    assert guinea.median_days == 20 and guinea.mean_days == pytest.approx(23.3)
    assert national["MA"].issued == 1
    # A manager sees the figures of their offices only.
    office_only = {row.country.code: row for row in identification_figures(manager)}
    assert set(office_only) == {"GN"} and office_only["GN"].requests == 4
    client.force_login(coordinator)
    assert "Guinea" in client.get(reverse("cases:returns_figures")).content.decode()
    client.force_login(counsellor)
    assert client.get(reverse("cases:returns_figures")).status_code == 403


def test_state_is_unchanged_by_a_refused_removal_form(client, forced_case, manager):
    client.force_login(manager)
    client.post(reverse("cases:plan_removal", args=[forced_case.pk]), {"planned_on": ""})
    forced_case.refresh_from_db()
    assert forced_case.state == State.FORCED_RETURN and forced_case.removal_planned_on is None


def test_the_case_page_reads_the_return_work_in_a_fixed_number_of_queries(client, voluntary_case, counsellor, partner, today,
                                                                          django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    partner_client, _api = partner
    client.force_login(counsellor)
    url = reverse("cases:detail", args=[voluntary_case.pk])

    def cancelled_referral():
        referral = services.refer_to_partner(actor=counsellor, case_id=voluntary_case.pk, partner_id=partner_client.pk,
                                             destination_country="GN", consent_on=today)
        services.record_reintegration_support(actor=counsellor, referral_id=referral.pk, kind="housing", planned_on=today)
        services.report_referral_stage(actor=counsellor, referral_id=referral.pk, stage="cancelled", reason="test")

    cancelled_referral()
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        cancelled_referral()
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200
