"""The return work's API: what each scope may read and write, and only that."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import legal
from cases.models import CaseAccess, CaseEvent, State
from cases.returns import services
from cases.returns.models import ConsularRequest, Referral
from tests import factories as f
from tests.cases.test_api_support import token_client

pytestmark = pytest.mark.usefixtures("_clean_api_cache")
pytest_plugins = ["tests.cases.test_api_support"]


def refer(case, counsellor, partner_client, **overrides):
    values = {"destination_country": "MA", "consent_on": case.opened_at.date(), "travellers": 1,
              "medical_needs": "Wheelchair at the airport", "reintegration_wishes": "Small shop"}
    values.update(overrides)
    return services.refer_to_partner(actor=counsellor, case_id=case.pk, partner_id=partner_client.pk, **values)


# --- identification -----------------------------------------------------------------------
def test_identification_records_a_consular_request_to_its_answer(identification, case, today):
    _client, api = identification
    sent = today - dt.timedelta(days=10)
    response = api.post(f"/api/v1/cases/{case.pk}/consular-requests/", {
        "kind": "laissez_passer", "country": "MAR", "consulate": "Consulate-General of Morocco, Brussels", "sent_on": sent.isoformat(),
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["country"] == "MA" and body["answer"] == "pending"
    assert body["due_on"] == (sent + dt.timedelta(days=30)).isoformat()
    request_id = body["id"]

    interview = today + dt.timedelta(days=5)
    response = api.patch(f"/api/v1/cases/{case.pk}/consular-requests/{request_id}/", {"interview_on": interview.isoformat()}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["due_on"] == (interview - dt.timedelta(days=2)).isoformat()

    response = api.patch(f"/api/v1/cases/{case.pk}/consular-requests/{request_id}/", {
        "answer": "issued", "answered_on": today.isoformat(), "document_number": "LP-1", "valid_until": (today + dt.timedelta(days=30)).isoformat(),
    }, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["answer"] == "issued" and response.json()["days_to_answer"] == 10 and response.json()["due_on"] is None
    # The same answer again is safe; another answer is refused.
    again = api.patch(f"/api/v1/cases/{case.pk}/consular-requests/{request_id}/", {
        "answer": "issued", "answered_on": today.isoformat(), "document_number": "LP-1", "valid_until": (today + dt.timedelta(days=30)).isoformat(),
    }, format="json")
    assert again.status_code == 200
    refused = api.patch(f"/api/v1/cases/{case.pk}/consular-requests/{request_id}/", {
        "answer": "refused", "answered_on": today.isoformat()}, format="json")
    assert refused.status_code == 409
    assert [e.kind for e in case.events.filter(kind__startswith="consular").order_by("id")] == [
        CaseEvent.Kind.CONSULAR_REQUEST, CaseEvent.Kind.CONSULAR_REQUEST, CaseEvent.Kind.CONSULAR_ANSWER]
    listed = api.get(f"/api/v1/cases/{case.pk}/consular-requests/")
    assert [r["id"] for r in listed.json()] == [request_id]


def test_identification_records_and_updates_travel_documents(identification, case):
    _client, api = identification
    response = api.post(f"/api/v1/cases/{case.pk}/travel-documents/", {"kind": "passport", "status": "missing"}, format="json")
    assert response.status_code == 201, response.content
    doc_id = response.json()["id"]
    response = api.patch(f"/api/v1/cases/{case.pk}/travel-documents/{doc_id}/",
                         {"status": "held", "country": "MA", "number": "X123", "kept_at": "Closed centre safe"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "held" and response.json()["kind"] == "passport"
    bad = api.post(f"/api/v1/cases/{case.pk}/travel-documents/", {"kind": "passport", "status": "held", "extra": 1}, format="json")
    assert bad.status_code == 400


def test_identification_needs_its_scope_and_reads_no_case(make_api_client, identification, case):
    _client, token = make_api_client("register-only", scopes=["orders:write", "cases:read", "departures:write"])
    api = token_client(token)
    assert api.get(f"/api/v1/cases/{case.pk}/consular-requests/").status_code == 403
    assert api.post(f"/api/v1/cases/{case.pk}/travel-documents/", {"kind": "passport", "status": "missing"}, format="json").status_code == 403
    # The identification unit itself reads travel data, not the case.
    _id_client, id_api = identification
    assert id_api.get(f"/api/v1/cases/{case.pk}/").status_code == 403
    assert id_api.get("/api/v1/referrals/").status_code == 403
    assert id_api.get("/api/v1/cases/999999/consular-requests/").status_code == 404


# --- partners -----------------------------------------------------------------------------
def test_a_partner_sees_only_the_cases_referred_to_it(partner, other_partner, voluntary_case, counsellor, office):
    client, api = partner
    _other_client, other_api = other_partner
    referral = refer(voluntary_case, counsellor, client)
    stranger = f.CaseFactory(office=office, counsellor=counsellor, state=State.VOLUNTARY_RETURN)

    listed = api.get("/api/v1/referrals/").json()["results"]
    assert [r["id"] for r in listed] == [referral.pk]
    assert listed[0]["person"]["family_name"] == voluntary_case.person.family_name
    assert listed[0]["medical_needs"] == "Wheelchair at the airport"
    assert other_api.get("/api/v1/referrals/").json()["results"] == []
    assert other_api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert other_api.post(f"/api/v1/referrals/{referral.pk}/stages/", {"stage": "accepted"}, format="json").status_code == 404
    # Not through the departure endpoint either.
    departure = {"departed_on": dt.date.today().isoformat(), "evidence": "partner_confirmation", "destination_country": "MA"}
    assert other_api.post(f"/api/v1/cases/{voluntary_case.pk}/departure/", departure, format="json").status_code == 404
    assert api.post(f"/api/v1/cases/{stranger.pk}/departure/", departure, format="json").status_code == 404
    assert api.get(f"/api/v1/cases/{stranger.pk}/").status_code == 403  # no case reading at all


def test_return_reads_are_logged_like_every_other_api_read(partner, identification, voluntary_case, counsellor):
    """Who read, from where and as which client: the same row as the case API's (decision 022)."""
    client, api = partner
    id_client, id_api = identification
    referral = refer(voluntary_case, counsellor, client)
    api.get("/api/v1/referrals/", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="partner-sync/1.0")
    api.get(f"/api/v1/referrals/{referral.pk}/", REMOTE_ADDR="192.0.2.7")
    id_api.get(f"/api/v1/cases/{voluntary_case.pk}/travel-documents/", REMOTE_ADDR="192.0.2.9")
    rows = list(CaseAccess.objects.filter(case=voluntary_case, via="api").order_by("id"))
    assert [(r.client_label, r.address) for r in rows] == [
        (client.name, "192.0.2.7"), (client.name, "192.0.2.7"), (id_client.name, "192.0.2.9")]
    assert rows[0].user_agent == "partner-sync/1.0" and rows[0].user_label


def test_partner_takes_a_referral_through_booking_departure_and_follow_up(partner, voluntary_case, counsellor, today):
    client, api = partner
    referral = refer(voluntary_case, counsellor, client)
    base = f"/api/v1/referrals/{referral.pk}"
    assert api.post(f"{base}/stages/", {"stage": "accepted"}, format="json").json()["stage"] == "accepted"
    flight_on = today + dt.timedelta(days=3)
    booked = api.post(f"{base}/stages/", {"stage": "booked", "flight": "AT 801", "flight_on": flight_on.isoformat()}, format="json")
    assert booked.status_code == 200 and booked.json()["flight"] == "AT 801"
    support = api.post(f"{base}/support/", {"kind": "business", "description": "Stock for a grocery", "planned_on": flight_on.isoformat()},
                       format="json")
    assert support.status_code == 201, support.content
    early = api.post(f"{base}/follow-ups/", {"month": 1, "contacted_on": today.isoformat()}, format="json")
    assert early.status_code == 409  # not departed yet

    departed = api.post(f"/api/v1/cases/{voluntary_case.pk}/departure/",
                        {"departed_on": today.isoformat(), "evidence": "partner_confirmation", "destination_country": "MA"}, format="json")
    assert departed.status_code == 200, departed.content
    detail = api.get(f"{base}/").json()
    assert detail["stage"] == "departed"
    assert detail["reintegration_window_end"] == legal.reintegration_window_end(departed_on=today).isoformat()

    delivered = api.put(f"{base}/support/{support.json()['id']}/",
                        {"kind": "business", "description": "Stock for a grocery", "delivered_on": today.isoformat()}, format="json")
    assert delivered.status_code == 200 and delivered.json()["within_window"] is True
    first = api.post(f"{base}/follow-ups/", {"month": 1, "contacted_on": today.isoformat(), "note": "Shop opened"}, format="json")
    assert first.status_code == 201
    again = api.post(f"{base}/follow-ups/", {"month": 1, "contacted_on": today.isoformat(), "note": "Shop opened"}, format="json")
    assert again.status_code == 200
    other = api.post(f"{base}/follow-ups/", {"month": 1, "contacted_on": today.isoformat(), "note": "different"}, format="json")
    assert other.status_code == 409
    kinds = list(voluntary_case.events.values_list("kind", flat=True))
    assert kinds.count(CaseEvent.Kind.REFERRAL_STAGE) == 3  # accepted, booked, departed
    assert CaseEvent.Kind.FOLLOW_UP_CONTACT in kinds and CaseEvent.Kind.REINTEGRATION_SUPPORT in kinds


def test_partner_cancels_with_a_reason(partner, voluntary_case, counsellor):
    client, api = partner
    referral = refer(voluntary_case, counsellor, client)
    no_reason = api.post(f"/api/v1/referrals/{referral.pk}/stages/", {"stage": "cancelled"}, format="json")
    assert no_reason.status_code == 409
    assert "reason" in no_reason.json()["errors"][0]["detail"]
    done = api.post(f"/api/v1/referrals/{referral.pk}/stages/", {"stage": "cancelled", "reason": "Person withdrew"}, format="json")
    assert done.status_code == 200 and done.json()["stage"] == "cancelled"
    referral.refresh_from_db()
    assert referral.cancel_reason == "Person withdrew"


def test_consular_figures_rows_are_not_visible_across_offices(identification, case, other_office, other_counsellor, today):
    # The identification unit writes on any case; the figures for a manager count only their offices.
    _client, api = identification
    other = f.CaseFactory(office=other_office, counsellor=other_counsellor)
    for target in (case, other):
        api.post(f"/api/v1/cases/{target.pk}/consular-requests/", {
            "kind": "identification", "country": "GN", "consulate": "Embassy of Guinea", "sent_on": today.isoformat()}, format="json")
    assert ConsularRequest.objects.count() == 2
    assert Referral.objects.count() == 0


def test_a_partner_with_case_reading_still_sees_only_its_referred_cases(make_api_client, voluntary_case, counsellor, office):
    client, token = make_api_client("reading-partner", scopes=["returns:partner", "cases:read"])
    api = token_client(token)
    stranger = f.CaseFactory(office=office, counsellor=counsellor, state=State.VOLUNTARY_RETURN)
    assert api.get(f"/api/v1/cases/{voluntary_case.pk}/").status_code == 404
    refer(voluntary_case, counsellor, client)
    assert api.get(f"/api/v1/cases/{voluntary_case.pk}/").status_code == 200
    assert api.get(f"/api/v1/cases/{stranger.pk}/").status_code == 404
    assert [c["id"] for c in api.get("/api/v1/cases/").json()["results"]] == [voluntary_case.pk]


def test_the_referral_list_reads_in_a_fixed_number_of_queries(partner, office, counsellor, django_assert_max_num_queries, today):
    client, api = partner
    for _ in range(6):
        case = f.CaseFactory(office=office, counsellor=counsellor, state=State.VOLUNTARY_RETURN)
        referral = refer(case, counsellor, client, consent_on=today)
        services.record_reintegration_support(actor=client.user, referral_id=referral.pk, kind="housing", planned_on=today)
    with django_assert_max_num_queries(7):  # the same for any number of referrals
        response = api.get("/api/v1/referrals/")
    assert len(response.json()["results"]) == 6
