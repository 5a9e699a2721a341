"""Case status out and legal events in, through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseAccess, CaseEvent, LegalProcedure, State
from counselling.models import Conversation
from tests import factories as f
from tests.cases.test_api_support import PROBLEM, order_payload, token_client

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures
pytestmark = pytest.mark.usefixtures("_clean_api_cache")  # throttle counters must not leak between tests

CASES = "/api/v1/cases/"


def own_case(client, *, state=State.ORIENTATION, office=None, counsellor=None, reference=None, **kwargs):
    case = f.CaseFactory(state=state, office=office, counsellor=counsellor, **kwargs)
    f.OrderFactory(case=case, client=client, **({"external_reference": reference} if reference else {}))
    return case


def test_case_representation_is_exactly_the_contract(api_register, office, counsellor):
    client, api = api_register
    case = own_case(client, office=office, counsellor=counsellor, reference="OQT-1")
    f.OrderFactory(case=case, client=None, external_reference="MANUAL-9")  # not this client's reference
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.TRANSITION, from_state="registered", to_state="orientation",
                             note="Personal counselling note")
    planned = f.ConversationFactory(case=case, notes="Secret counselling notes", mode=Conversation.Mode.HOME_VISIT)

    response = api.get(f"{CASES}{case.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "url", "external_references", "state", "office", "counsellor", "departure_deadline",
                         "next_conversation", "legal_dates", "detention", "term_decisions", "events", "updated_at"}
    assert body["external_references"] == ["OQT-1"]
    assert body["state"] == "orientation"
    assert body["office"] == {"id": office.pk, "name": office.name}
    assert body["counsellor"] == {"id": counsellor.pk, "name": counsellor.get_full_name()}
    assert body["departure_deadline"] == case.departure_deadline.isoformat()
    assert body["next_conversation"]["mode"] == "home_visit"
    assert body["next_conversation"]["office"] == {"id": office.pk, "name": office.name}
    assert body["next_conversation"]["planned_at"].startswith(timezone.localtime(planned.planned_at).date().isoformat())
    assert body["events"] == [{"kind": "transition", "at": body["events"][0]["at"], "from_state": "registered", "to_state": "orientation"}]
    text = response.content.decode()
    assert "Secret" not in text and "Personal counselling note" not in text and case.person.family_name not in text
    assert CaseAccess.objects.filter(case=case, user=client.user, via="api").count() == 1


def test_a_case_without_office_counsellor_or_plan(api_register):
    client, api = api_register
    case = own_case(client, state=State.REGISTERED)
    body = api.get(f"{CASES}{case.pk}/").json()
    assert body["office"] is None and body["counsellor"] is None and body["next_conversation"] is None


def test_other_clients_cases_and_staff_cases_are_404(api_register, api_partner, office):
    _client, api = api_register
    partner_client, _partner_api = api_partner
    theirs = own_case(partner_client)
    nobodys = f.CaseFactory(office=office)
    for case in (theirs, nobodys):
        response = api.get(f"{CASES}{case.pk}/")
        assert response.status_code == 404 and response["Content-Type"].startswith(PROBLEM)
        assert api.post(f"{CASES}{case.pk}/departure/", {"departed_on": "2026-01-01", "evidence": "border_stamp"},
                        format="json").status_code == 404
    assert api.get(f"{CASES}999999999/").status_code == 404
    assert api.get(CASES).json()["results"] == []


def test_read_all_scope_sees_every_case(make_api_client, office):
    _client, token = make_api_client("national-statistics", scopes=["cases:read_all"])
    case = f.CaseFactory(office=office)
    assert token_client(token).get(f"{CASES}{case.pk}/").status_code == 200


def test_list_filters_and_cursor_pagination(api_register, office, other_office):
    client, api = api_register
    cases = [own_case(client, office=office if i % 2 else other_office, state=State.ORIENTATION if i < 6 else State.REGISTERED)
             for i in range(9)]
    own_case(None)  # an order entered by staff: not this client's case

    seen, url = [], f"{CASES}?page_size=4"
    while url:
        page = api.get(url).json()
        assert set(page) == {"next", "previous", "results"}
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(c.pk for c in cases) and len(seen) == len(set(seen))

    assert {c["id"] for c in api.get(f"{CASES}?state=registered").json()["results"]} == {c.pk for c in cases[6:]}
    assert {c["id"] for c in api.get(f"{CASES}?office={office.pk}").json()["results"]} == {c.pk for c in cases if c.office == office}
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert api.get(CASES, {"updated_since": future}).json()["results"] == []

    response = api.get(f"{CASES}?state=nowhere&updated_since=yesterday&office=x")
    assert response.status_code == 400 and {e["attr"] for e in response.json()["errors"]} == {"state", "updated_since", "office"}


def _list_queries(api, client, office, counsellor, n):
    for i in range(n):
        case = own_case(client, office=office, counsellor=counsellor)
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.OPENED, to_state="registered")
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.ASSIGNED)
        f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=1, minutes=i))
    with CaptureQueriesContext(connection) as queries:
        response = api.get(CASES)
    assert response.status_code == 200 and len(response.json()["results"]) >= n
    return len(queries)


def test_list_queries_do_not_grow_with_the_page(api_register, office, counsellor, django_assert_max_num_queries):
    client, api = api_register
    five = _list_queries(api, client, office, counsellor, 5)
    thirty = _list_queries(api, client, office, counsellor, 25)  # 30 cases listed now
    assert five == thirty
    # + every order, the detention titles with their decisions and the term decisions (issue 9): per page, not per case.
    with django_assert_max_num_queries(16):
        api.get(CASES)
    assert CaseAccess.objects.filter(user=client.user).count() == 5 + 30 + 30


# --- legal events in --------------------------------------------------------------------
def test_suspensive_procedure_moves_forced_return_to_legal_stay_review(api_register, office, counsellor):
    client, api = api_register
    case = own_case(client, state=State.FORCED_RETURN, office=office, counsellor=counsellor)
    case.removal_planned_on = timezone.localdate() + dt.timedelta(days=3)
    case.save(update_fields=["removal_planned_on"])
    lodged = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    payload = {"kind": "extreme_urgency_request", "lodged_on": lodged, "reference": "RvV-123"}
    response = api.post(f"{CASES}{case.pk}/procedures/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["suspensive"] is True and body["status"] == "pending"
    assert body["case"]["state"] == "legal_stay_review"
    case.refresh_from_db()
    assert case.state == State.LEGAL_STAY_REVIEW and case.removal_planned_on is None

    again = api.post(f"{CASES}{case.pk}/procedures/", payload, format="json")
    assert again.status_code == 200 and LegalProcedure.objects.count() == 1

    decided = {**payload, "decision": "rejected", "decided_on": timezone.localdate().isoformat()}
    assert api.post(f"{CASES}{case.pk}/procedures/", decided, format="json").json()["status"] == "rejected"


def test_procedure_default_suspensive_from_kind_and_validation(api_register, office, counsellor):
    client, api = api_register
    case = own_case(client, office=office, counsellor=counsellor)
    lodged = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    body = api.post(f"{CASES}{case.pk}/procedures/", {"kind": "regularisation_9bis", "lodged_on": lodged}, format="json").json()
    assert body["suspensive"] is False and body["case"]["state"] == "orientation"

    bad = api.post(f"{CASES}{case.pk}/procedures/", {"kind": "appeal", "lodged_on": "tomorrow", "note": "x"}, format="json")
    assert bad.status_code == 400 and {e["attr"] for e in bad.json()["errors"]} == {"kind", "lodged_on", "note"}

    no_date = api.post(f"{CASES}{case.pk}/procedures/", {"kind": "asylum_appeal", "lodged_on": lodged, "decision": "granted"}, format="json")
    assert no_date.status_code == 422 and no_date["Content-Type"].startswith(PROBLEM)
    assert any("date" in e["detail"] for e in no_date.json()["errors"])


def test_departure_confirmed_and_refused_with_the_guard_sentences(api_register, office, counsellor):
    client, api = api_register
    case = own_case(client, state=State.ORIENTATION, office=office, counsellor=counsellor)
    payload = {"departed_on": timezone.localdate().isoformat(), "evidence": "boarding_pass", "destination_country": "MAR"}
    response = api.post(f"{CASES}{case.pk}/departure/", payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "departed"
    case.refresh_from_db()
    assert case.state == State.DEPARTED and case.destination_country == "MA"

    # The same report again (a partner's retry after a timeout) answers the same, changing nothing ...
    again = api.post(f"{CASES}{case.pk}/departure/", payload, format="json")
    assert again.status_code == 200 and again.json()["state"] == "departed"
    assert CaseEvent.objects.filter(case=case, transition="confirm_departure").count() == 1
    # ... while a different departure for a departed case is refused with the guard's sentence.
    other = {**payload, "departed_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    refused = api.post(f"{CASES}{case.pk}/departure/", other, format="json")
    assert refused.status_code == 409 and refused["Content-Type"].startswith(PROBLEM)
    assert refused.json()["type"].endswith("/transition-refused/")
    assert refused.json()["errors"][0]["code"] == "guard" and "Departed" in refused.json()["errors"][0]["detail"]


@pytest.mark.parametrize("scope_less", ["procedures:write", "departures:write"])
def test_legal_events_need_their_scope(make_api_client, office, scope_less):
    from cases.api.auth import ALL_SCOPES

    # A return partner may report the departures of the cases referred to it: without that scope too.
    missing = {scope_less, "returns:partner"} if scope_less == "departures:write" else {scope_less}
    client, token = make_api_client("limited", scopes=[s for s in ALL_SCOPES if s not in missing])
    case = own_case(client, office=office)
    path = "procedures" if scope_less == "procedures:write" else "departure"
    response = token_client(token).post(f"{CASES}{case.pk}/{path}/", {}, format="json")
    assert response.status_code == 403 and scope_less in response.json()["detail"]


def test_api_order_then_status_round_trip(api_register, office, counsellor):
    _client, api = api_register
    created = api.post("/api/v1/orders/", order_payload("ROUND-1"), format="json").json()
    body = api.get(created["url"].replace("http://testserver", "")).json()
    assert body["id"] == created["id"] and body["external_references"] == ["ROUND-1"]
    assert [e["kind"] for e in body["events"]][:2] == ["opened", "assigned"]

