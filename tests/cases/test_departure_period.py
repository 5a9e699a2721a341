"""The period for voluntary departure can be extended, and cut short only by a decision (issue 9
points 4–5), through the service, the API and the browser. Rows name their source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import guards as g
from cases import legal, services
from cases.models import Case, CaseEvent, DepartureTermDecision, State
from returnpath.errors import TransitionRefused
from tests import factories as f
from tests.cases.test_api_support import order_payload

pytest_plugins = ["tests.cases.test_api_support"]
pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("current", "days", "expected"),
    [
        (dt.date(2026, 3, 2), 14, dt.date(2026, 3, 16)),  # Directive art. 7(2): extended by an appropriate period
        (dt.date(2026, 12, 11), 14, dt.date(2026, 12, 28)),  # ends on Christmas Day → next working day (Judicial Code art. 53)
        (dt.date(2026, 7, 10), 1, dt.date(2026, 7, 13)),  # ends on Saturday 11 July → Monday 13 July
        (dt.date(2026, 7, 17), 4, dt.date(2026, 7, 22)),  # Tuesday 21 July is the national holiday → 22 July
    ],
)
def test_the_extended_deadline_follows_the_working_day_rule(current, days, expected):
    assert legal.extended_departure_deadline(current=current, days=days) == expected


@pytest.mark.parametrize(
    ("decided_on", "days", "expected"),
    [
        (dt.date(2026, 3, 2), 0, dt.date(2026, 3, 2)),  # Aliens Act art. 74/14 §3: no period at all
        (dt.date(2026, 3, 2), 5, dt.date(2026, 3, 9)),  # Saturday 7 March → Monday 9 March
    ],
)
def test_the_shortened_deadline(decided_on, days, expected):
    assert legal.shortened_departure_deadline(decided_on=decided_on, days=days) == expected


def orientation_case(office, counsellor, deadline, **fields):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", departure_deadline=deadline,
                         voluntary_return_refusals=3, **fields)
    f.OrderFactory(case=case, notified_on=TODAY - 40 * DAY, issued_on=TODAY - 41 * DAY)
    return case


def test_an_extension_moves_the_deadline_and_the_escalation_guard_reads_it(office, counsellor, manager):
    # Directive art. 7(2); Aliens Act art. 74/14 §1: the escalation waits for the extended deadline.
    case = orientation_case(office, counsellor, TODAY - 2 * DAY)
    decision, created = services.record_term_decision(
        actor=manager, case_id=case.pk, kind="extension", ground="school_children", days=14,
        motivation="Children finish the school term.", decided_on=TODAY - 3 * DAY)
    assert created and decision.new_deadline == legal.extended_departure_deadline(current=TODAY - 2 * DAY, days=14)
    case.refresh_from_db()
    assert case.departure_deadline == decision.new_deadline
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused.")
    assert refused.value.details == [str(g.departure_deadline_passed_or_cut_short.refusal)]
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TERM_DECIDED).count() == 1


@pytest.mark.parametrize(
    ("kind", "ground", "days", "refusal"),
    [
        ("extension", "public_order", 10, "Choose a ground the law allows"),  # art. 74/14 §1 lists the extension grounds
        ("shortening", "school_children", 0, "Choose a ground the law allows"),  # art. 74/14 §3 lists the shortening grounds
        ("extension", "family_ties", 0, "An extension is 1 to"),
        ("shortening", "risk_of_absconding", 60, "before the current deadline"),
    ],
)
def test_decisions_the_law_does_not_allow(kind, ground, days, refusal, office, counsellor, manager):
    case = orientation_case(office, counsellor, TODAY + 20 * DAY)
    with pytest.raises(TransitionRefused) as refused:
        services.record_term_decision(actor=manager, case_id=case.pk, kind=kind, ground=ground, days=days, motivation="x")
    assert any(refusal in r for r in refused.value.details), refused.value.details


def test_a_counsellor_may_not_decide_on_the_period(office, counsellor):
    case = orientation_case(office, counsellor, TODAY + 20 * DAY)
    with pytest.raises(TransitionRefused):
        services.record_term_decision(actor=counsellor, case_id=case.pk, kind="extension", ground="family_ties",
                                      days=5, motivation="x")


# --- a public-order flag does not cut the period short (Directive art. 8(2)) ------------------------
@pytest.mark.parametrize(
    ("term_days", "public_order", "shortened", "may_escalate"),
    [
        (30, True, False, False),  # Directive art. 8(2): the flag alone no longer suffices
        (30, False, True, True),  # Aliens Act art. 74/14 §3: a recorded shortening decision
        (30, True, True, True),
        (5, False, False, True),  # Directive art. 7(4): the order's own term under 7 days
        (0, False, False, True),  # no period granted at all
        (7, False, False, False),  # 7 days is a period the order granted
    ],
)
def test_escalation_before_the_deadline(term_days, public_order, shortened, may_escalate, office, counsellor, manager, api_register):
    _client, api = api_register
    payload = order_payload(f"OQT-T{term_days}-{int(public_order)}{int(shortened)}", departure_term_days=term_days,
                            term_reason="" if term_days >= 30 else "Risk of absconding.", flags__public_order=public_order,
                            notified_on=TODAY.isoformat(), issued_on=TODAY.isoformat())
    response = api.post("/api/v1/orders/", payload, format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    Case.objects.filter(pk=case.pk).update(state=State.ORIENTATION, voluntary_return_refusals=3, office=office, counsellor=counsellor)
    if shortened:
        answer = api.post(f"/api/v1/cases/{case.pk}/term-shortenings/", {
            "decided_on": TODAY.isoformat(), "days": 0, "ground": "public_order",
            "motivation": "New offence during the period.", "reference": "SHORT-1"}, format="json")
        assert answer.status_code == 201, answer.content
    refusals = services.transition_refusals(Case.objects.get(pk=case.pk), "escalate_to_forced_return", manager)
    assert (str(g.departure_deadline_passed_or_cut_short.refusal) not in refusals) is may_escalate


# --- the API -------------------------------------------------------------------------------------
def test_term_extension_through_the_api(api_register, office, counsellor):
    client, api = api_register
    case = orientation_case(office, counsellor, TODAY + 3 * DAY)
    f.OrderFactory(case=case, client=client)
    payload = {"decided_on": TODAY.isoformat(), "days": 30, "ground": "return_organised",
               "motivation": "Flight booked by the partner.", "reference": "EXT-1"}
    response = api.post(f"/api/v1/cases/{case.pk}/term-extensions/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    expected = legal.extended_departure_deadline(current=TODAY + 3 * DAY, days=30)
    assert body["new_deadline"] == expected.isoformat() and body["case"]["departure_deadline"] == expected.isoformat()
    assert body["case"]["term_decisions"][0]["kind"] == "extension"
    again = api.post(f"/api/v1/cases/{case.pk}/term-extensions/", payload, format="json")
    assert again.status_code == 200 and DepartureTermDecision.objects.filter(case=case).count() == 1

    bad = api.post(f"/api/v1/cases/{case.pk}/term-extensions/", {**payload, "ground": "fraud", "reference": "EXT-2"}, format="json")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")


def test_term_extension_until_a_date_through_the_api(api_register, office, counsellor):
    # Aliens Act art. 74/14 §1: the decision may name the day the period runs until; a Sunday rolls to Monday.
    client, api = api_register
    case = orientation_case(office, counsellor, TODAY + 3 * DAY)
    f.OrderFactory(case=case, client=client)
    until = TODAY + 40 * DAY
    until += dt.timedelta(days=(6 - until.weekday()) % 7)  # a Sunday
    response = api.post(f"/api/v1/cases/{case.pk}/term-extensions/", {
        "decided_on": TODAY.isoformat(), "until": until.isoformat(), "ground": "length_of_stay",
        "motivation": "Twelve years in Belgium.", "reference": "EXT-UNTIL"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["new_deadline"] == legal.next_working_day_on_or_after(until).isoformat()
    again = api.post(f"/api/v1/cases/{case.pk}/term-extensions/", {
        "decided_on": TODAY.isoformat(), "until": until.isoformat(), "ground": "length_of_stay",
        "motivation": "Twelve years in Belgium.", "reference": "EXT-UNTIL"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]  # a retry changes nothing
    missing = api.post(f"/api/v1/cases/{case.pk}/term-extensions/", {
        "decided_on": TODAY.isoformat(), "ground": "length_of_stay", "motivation": "x"}, format="json")
    assert missing.status_code == 400 and any(e["attr"] == "days" for e in missing.json()["errors"])


def test_term_extension_needs_the_procedures_scope(make_api_client, office, counsellor):
    from tests.cases.test_api_support import token_client

    client, token = make_api_client("reader", scopes=("cases:read",), throttle_rate="10000/min")
    case = orientation_case(office, counsellor, TODAY + 3 * DAY)
    f.OrderFactory(case=case, client=client)
    response = token_client(token).post(f"/api/v1/cases/{case.pk}/term-extensions/", {}, format="json")
    assert response.status_code == 403


# --- the browser ---------------------------------------------------------------------------------
def test_a_manager_extends_the_period_in_the_browser(office, counsellor, manager, client):
    case = orientation_case(office, counsellor, TODAY + 3 * DAY)
    client.force_login(manager)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Extend or shorten the departure period" in html
    response = client.post(reverse("cases:term_decision", args=[case.pk]), {
        "kind": "extension", "ground": "family_ties", "days": "10", "decided_on": TODAY.strftime("%d/%m/%Y"),
        "motivation": "Family ties in Belgium."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.departure_deadline == legal.extended_departure_deadline(current=TODAY + 3 * DAY, days=10)
    client.force_login(counsellor)
    assert "Extend or shorten the departure period" not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_a_manager_shortens_the_period_in_the_browser_and_escalation_may_follow(office, counsellor, manager, client):
    # Aliens Act art. 74/14 §3; Directive art. 8(2): a recorded decision, not the flag, cuts the period short.
    case = orientation_case(office, counsellor, TODAY + 20 * DAY, public_order=True)
    client.force_login(manager)
    assert str(g.departure_deadline_passed_or_cut_short.refusal).replace("'", "&#x27;") in client.get(
        reverse("cases:detail", args=[case.pk])).content.decode()
    response = client.post(reverse("cases:term_decision", args=[case.pk]), {
        "kind": "shortening", "ground": "public_order", "days": "0", "decided_on": TODAY.strftime("%d/%m/%Y"),
        "motivation": "Arrested for a new offence during the period."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.departure_deadline == TODAY and case.early_escalation_ground == "shortened"
    response = client.post(reverse("cases:step", args=[case.pk, "escalate_to_forced_return"]), {
        "t-escalate_to_forced_return-expected_state": "orientation",
        "t-escalate_to_forced_return-motivation": "Period cut short by decision; return refused."})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).state == State.FORCED_RETURN
