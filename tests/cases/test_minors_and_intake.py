"""Unaccompanied minors (issue 9 point 7), consistent intake (point 8) and the dates the law sets
(point 6), through the services, the API, the browser and the sweep. Rows name their source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import guards as g
from cases import legal, services
from cases.models import Case, CaseEvent, State
from cases.services.orders import OrderData, PersonData, validate_order
from counselling import sweeps
from returnpath.actors import SYSTEM
from returnpath.errors import DomainError, TransitionRefused
from tests import factories as f
from tests.cases.test_api import run_batch
from tests.cases.test_api_support import order_payload

pytest_plugins = ["tests.cases.test_api_support"]
pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


# --- consistent intake (the pro-active return law, in force since 20 July 2024, protects families by the facts) ---
INTAKE_TABLE = [
    # (target group, minor children, unaccompanied minor, fields refused)
    ("family", 0, False, {"target_group", "household.minor_children"}),  # a family label without a child
    ("individual", 2, False, {"target_group", "household.minor_children"}),  # children under an "individual" label
    ("unaccompanied_minor", 0, False, {"target_group", "household.unaccompanied_minor"}),
    ("public_order", 0, True, {"target_group", "household.unaccompanied_minor"}),
    ("family", 2, False, set()),
    ("", 2, False, set()),  # no label: derived from the facts
    ("dublin", 1, False, set()),  # a family can be a Dublin case
    ("unaccompanied_minor", 0, True, set()),
]


@pytest.mark.parametrize(("group", "children", "minor", "refused"), INTAKE_TABLE)
def test_household_contradictions_service(group, children, minor, refused):
    data = OrderData(external_reference="X", issued_on=TODAY, notified_on=TODAY, departure_term_days=30,
                     person=PersonData(family_name="Doe", birth_date=TODAY - 16 * 365 * DAY if minor else None),
                     minor_children=children, unaccompanied_minor=minor, target_group=group)
    assert {path for path, _code, _message in validate_order(data)} == refused
    if refused:
        with pytest.raises(DomainError):
            services.open_case_from_order(actor=SYSTEM, data=data)


@pytest.mark.parametrize(("group", "children", "minor", "refused"), INTAKE_TABLE)
def test_household_contradictions_api(group, children, minor, refused, api_register):
    _client, api = api_register
    payload = order_payload(f"OQT-H-{group}-{children}-{int(minor)}", target_group=group, household__minor_children=children,
                            household__unaccompanied_minor=minor,
                            person__birth_date=(TODAY - 16 * 365 * DAY).isoformat() if minor else "1990-04-02")
    response = api.post("/api/v1/orders/", payload, format="json")
    if not refused:
        assert response.status_code == 201, response.content
        return
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    attrs = {e["attr"] for e in response.json()["errors"] if e["code"] == "household_contradiction"}
    assert attrs == refused
    batch = run_batch(api, {"orders": [payload]}, format="json").json()  # a job: processed, then read
    line = batch["results"][0]
    assert line["status"] == "invalid" and {e["attr"] for e in line["errors"] if e["code"] == "household_contradiction"} == refused


# --- unaccompanied minors -------------------------------------------------------------------------
def minor_case(office, counsellor, **fields):
    return f.CaseFactory(office=office, counsellor=counsellor, state="orientation", target_group="unaccompanied_minor",
                         unaccompanied_minor=True, voluntary_return_agreed_at=timezone.now(),
                         person=f.PersonFactory(birth_date=TODAY - 16 * 365 * DAY), **fields)


@pytest.mark.parametrize(
    ("guardian_agreed", "best_interest", "ok"),
    [
        (False, "", False),  # Return Directive art. 10: a best-interest assessment and the guardian
        (True, "", False),
        (False, "return", False),
        (True, "return", True),
        (True, "family_reunification", False),  # a durable solution other than return
    ],
)
def test_a_minors_voluntary_return_needs_the_guardian_and_a_best_interest_decision(
        guardian_agreed, best_interest, ok, office, counsellor):
    case = minor_case(office, counsellor, best_interest_outcome=best_interest,
                      guardian_name="G" if guardian_agreed else "", guardian_agreed_return_on=TODAY if guardian_agreed else None)
    if ok:
        assert services.agree_voluntary_return(actor=counsellor, case_id=case.pk).state == State.VOLUNTARY_RETURN
        return
    with pytest.raises(TransitionRefused) as refused:
        services.agree_voluntary_return(actor=counsellor, case_id=case.pk)
    assert refused.value.details == [str(g.minor_return_agreed_by_guardian_and_best_interest.refusal)]


def test_the_guardian_through_the_browser(office, counsellor, client):
    case = minor_case(office, counsellor)
    client.force_login(counsellor)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "No guardian on record" in html
    response = client.post(reverse("cases:guardian", args=[case.pk]), {
        "name": "Mrs. Janssens", "contact": "+32 2 000 00 00", "appointed_on": (TODAY - 5 * DAY).strftime("%d/%m/%Y")})
    assert response.status_code == 302
    response = client.post(reverse("cases:guardian_agreement", args=[case.pk]), {
        "agreed_on": TODAY.strftime("%d/%m/%Y"), "note": "Agrees."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.guardian_name, case.guardian_agreed_return_on) == ("Mrs. Janssens", TODAY)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Mrs. Janssens" in html
    assert "guardian&#x27;s recorded agreement" in html  # the remaining refusal: no best-interest decision yet


def test_an_agreement_without_a_guardian_is_refused(office, counsellor):
    case = minor_case(office, counsellor)
    with pytest.raises(DomainError):
        services.record_guardian_agreement(actor=counsellor, case_id=case.pk, agreed_on=TODAY)


def test_the_18th_birthday_is_noticed_not_acted_upon(office, counsellor):
    # Civil Code: majority at 18; the counsellor reviews the trajectory (no silent state change).
    birthday = legal.add_months(TODAY, -12 * 18)
    adult = minor_case(office, counsellor)
    adult.person.birth_date = birthday
    adult.person.save()
    young = minor_case(office, counsellor)
    assert sweeps.notice_coming_of_age()["noticed"] == 1
    assert sweeps.notice_coming_of_age()["noticed"] == 0  # idempotent
    adult.refresh_from_db()
    assert adult.came_of_age_on == legal.eighteenth_birthday(birthday) == TODAY and adult.unaccompanied_minor and adult.state == State.ORIENTATION
    event = CaseEvent.objects.get(case=adult, kind=CaseEvent.Kind.CAME_OF_AGE)
    assert event.actor is None and "came of age" in event.text
    assert not CaseEvent.objects.filter(case=young, kind=CaseEvent.Kind.CAME_OF_AGE).exists()


def test_a_minor_who_came_of_age_is_before_the_counsellor(office, counsellor, client):
    case = minor_case(office, counsellor, came_of_age_on=TODAY, next_conversation_at=timezone.now() + 3 * DAY,
                      departure_deadline=TODAY + 60 * DAY)
    client.force_login(counsellor)
    assert 'data-testid="came-of-age"' in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Came of age: review the trajectory" in client.get(reverse("counselling:my_day")).content.decode()
    assert client.post(reverse("cases:review_coming_of_age", args=[case.pk])).status_code == 302
    case.refresh_from_db()
    assert not case.unaccompanied_minor and case.target_group == "individual" and case.state == State.ORIENTATION
    assert "Came of age: review the trajectory" not in client.get(reverse("counselling:my_day")).content.decode()


# --- the dates the law sets (issue 9 point 6) -------------------------------------------------------
DATES_TABLE = [
    # (orders notified days ago, detained at notification, outcome, appeal days, urgency days)
    ((10,), False, None, 30, 10),  # Aliens Act art. 39/57 §1: 30 days against the order
    ((10,), True, None, 10, 10),  # 10 days when held at notification
    ((200, 10), False, None, 30, 5),  # 5 days against a second removal measure (art. 39/57 §1)
]


@pytest.mark.parametrize(("notified", "detained", "outcome", "appeal_days", "urgency_days"), DATES_TABLE)
def test_the_appeal_deadlines(notified, detained, outcome, appeal_days, urgency_days, office, counsellor, client, api_register):
    api_client, api = api_register
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    for days in notified:
        f.OrderFactory(case=case, client=api_client, notified_on=TODAY - days * DAY, issued_on=TODAY - days * DAY)
    if detained:
        f.DetentionPeriodFactory(case=case, started_on=TODAY - 12 * DAY)
    current = TODAY - min(notified) * DAY
    appeal = legal.next_working_day_on_or_after(current + appeal_days * DAY)
    urgency = legal.next_working_day_on_or_after(current + urgency_days * DAY)
    body = api.get(f"/api/v1/cases/{case.pk}/").json()["legal_dates"]
    assert (body["appeal_deadline"], body["appeal_window_days"]) == (appeal.isoformat(), appeal_days)
    assert (body["extreme_urgency_deadline"], body["extreme_urgency_window_days"]) == (urgency.isoformat(), urgency_days)
    client.force_login(counsellor)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'data-testid="appeal-deadline">{appeal.strftime("%d/%m/%Y")}' in html


def test_an_order_after_an_earlier_case_is_a_second_removal_measure(office, counsellor, api_register):
    # Aliens Act art. 39/57 §1 (DESIGN §2): 5 days against a second removal measure, also when the
    # first order was on the person's earlier (closed) case.
    api_client, api = api_register
    person = f.PersonFactory()
    old = f.CaseFactory(office=office, counsellor=counsellor, state="closed", person=person)
    f.OrderFactory(case=old, notified_on=TODAY - 400 * DAY, issued_on=TODAY - 401 * DAY)
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", person=person)
    f.OrderFactory(case=case, client=api_client, notified_on=TODAY - 2 * DAY, issued_on=TODAY - 2 * DAY)
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["legal_dates"]["extreme_urgency_window_days"] == 5
    listed = {c["id"]: c for c in api.get("/api/v1/cases/").json()["results"]}
    assert listed[case.pk]["legal_dates"]["extreme_urgency_window_days"] == 5


@pytest.mark.parametrize(
    ("state", "field", "ban_years", "reintegration"),
    [
        ("departed", "departed_on", 3, True),  # CJEU Ouhrami C-225/16: the ban runs from actual departure
        ("removed", "removed_on", 5, False),  # …or removal; no reintegration window after a removal
    ],
)
def test_entry_ban_and_reintegration_dates(state, field, ban_years, reintegration, office, counsellor, client, api_register):
    api_client, api = api_register
    left = TODAY - 20 * DAY
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state, **{field: left})
    f.OrderFactory(case=case, client=api_client, entry_ban_years=ban_years, notified_on=TODAY - 60 * DAY, issued_on=TODAY - 60 * DAY)
    body = api.get(f"/api/v1/cases/{case.pk}/").json()["legal_dates"]
    assert body["entry_ban_ends_on"] == legal.add_months(left, 12 * ban_years).isoformat()
    expected = legal.add_months(left, 12).isoformat() if reintegration else None
    assert body["reintegration_window_ends_on"] == expected
    client.force_login(counsellor)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'data-testid="entry-ban-end">{legal.add_months(left, 12 * ban_years).strftime("%d/%m/%Y")}' in html
    assert ('data-testid="reintegration-end"' in html) is reintegration
    assert Case.objects.get(pk=case.pk).state == state
