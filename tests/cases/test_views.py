"""The caseload and the case page in the browser (Django test client)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.caseload import CaseloadFilter
from cases.models import Case, CaseAccess, LegalProcedure, State
from cases.selectors import cases_visible_to
from counselling.models import Conversation
from offices.models import Membership
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, counsellor):
    client.force_login(counsellor)
    return client


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


# --- sign-in -----------------------------------------------------------------------------

def test_pages_need_sign_in(client, case):
    for url in (reverse("counselling:my_day"), reverse("cases:caseload"), detail(case)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_sign_in_and_out(client, counsellor):
    response = client.post(reverse("login"), {"username": "counsellor.test", "password": "secret-pass-123"})
    assert response.status_code == 302
    assert client.get(reverse("counselling:my_day")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # sign-out is a POST, never a link
    client.post(reverse("logout"))
    assert client.get(reverse("counselling:my_day")).status_code == 302


def test_sign_in_is_rate_limited_per_username_and_address(client, counsellor):
    cache.clear()
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "counsellor.test", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "counsellor.test", "password": "secret-pass-123"})
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not blocked by someone guessing elsewhere.
    response = client.post(reverse("login"), {"username": "counsellor.test", "password": "secret-pass-123"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    cache.clear()


# --- caseload ----------------------------------------------------------------------------

def test_caseload_shows_only_visible_cases(web, office, other_office, counsellor):
    mine = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Visible"))
    f.CaseFactory(office=other_office, person=f.PersonFactory(family_name="Elsewhere"))
    html = web.get(reverse("cases:caseload")).content.decode()
    assert "VISIBLE" in html and f"#{mine.pk}" in html
    assert "ELSEWHERE" not in html


def test_caseload_filters_by_state_and_flags(web, office, counsellor):
    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person=f.PersonFactory(family_name="Oriented"))
    f.CaseFactory(office=office, counsellor=counsellor, vulnerable=True, person=f.PersonFactory(family_name="Fragile"))
    html = web.get(reverse("cases:caseload"), {"state": "orientation"}).content.decode()
    assert "ORIENTED" in html and "FRAGILE" not in html
    html = web.get(reverse("cases:caseload"), {"flag": "vulnerable"}).content.decode()
    assert "FRAGILE" in html and "ORIENTED" not in html


def test_search_keeps_the_name_out_of_the_url(web, office, counsellor):
    f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Kowalczyk"))
    f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Other"))
    response = web.post(reverse("cases:caseload"), {"q": "kowal", "state": "open"})
    assert response.status_code == 302
    assert "kowal" not in response["Location"].lower() and "search=" in response["Location"] and "state=open" in response["Location"]
    html = web.get(response["Location"]).content.decode()
    assert "KOWALCZYK" in html and "OTHER" not in html


def test_search_with_htmx_answers_the_results_and_pushes_a_clean_url(web, office, counsellor):
    f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Nakamura"))
    response = web.post(reverse("cases:caseload"), {"q": "Nakamura"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "NAKAMURA" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "nakamura" not in response["HX-Push-Url"].lower()


def test_search_by_order_reference_and_national_number(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Referenced", national_number="85073003328"))
    f.OrderFactory(case=case, external_reference="OQT-777001")
    for q in ("OQT-777001", "85.07.30-033.28"):
        html = web.get(web.post(reverse("cases:caseload"), {"q": q})["Location"]).content.decode()
        assert "REFERENCED" in html, q


def _caseload_queries(client) -> int:
    client.get(reverse("cases:caseload"))  # the first page after signing in touches the session (decision 071)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:caseload"), {"state": "open", "sort": "deadline"})
    assert response.status_code == 200
    return len(queries)


def test_caseload_query_count_does_not_grow_with_the_caseload(web, office, counsellor):
    for _ in range(3):
        f.CaseFactory(office=office, counsellor=counsellor)
    small = _caseload_queries(web)
    for _ in range(37):
        f.CaseFactory(office=office, counsellor=counsellor)
    large = _caseload_queries(web)
    assert small == large
    assert large <= 15  # with the access-log row of the list (issue 11) and the counsellor's own-cases default


def test_the_caseload_joins_the_people_of_its_page_only(web, office, counsellor):
    """The rows are sorted and cut on the cases alone, then joined to their person, office and
    counsellor: joined first, a counsellor of 280 open cases paid 280 person lookups for a page of 25."""
    for _ in range(30):
        f.CaseFactory(office=office, counsellor=counsellor)
    web.get(reverse("cases:caseload"))  # the first page after signing in touches the session (decision 071)
    with CaptureQueriesContext(connection) as queries:
        response = web.get(reverse("cases:caseload"))
    rows = next(q["sql"] for q in queries.captured_queries if '"cases_person"."family_name"' in q["sql"])
    assert re.search(r'"cases_case"\."id" IN \(SELECT .* LIMIT 26\)\)', rows), rows
    assert not rows.rstrip().endswith("LIMIT 26")
    # ...in the caseload's order, across the pages.
    second = web.get(reverse("cases:caseload"), {"page": 2}).context["cases"]
    expected = CaseloadFilter.from_params(QueryDict(f"counsellor={counsellor.pk}")).apply(cases_visible_to(counsellor))
    assert [case.pk for case in [*response.context["cases"], *second]] == [case.pk for case in expected]
    assert len(response.context["cases"]) == 25 and response.context["total"] == 30


def test_caseload_paginates_without_counting_everything(web, office, counsellor):
    for _ in range(30):
        f.CaseFactory(office=office, counsellor=counsellor)
    html = web.get(reverse("cases:caseload")).content.decode()
    assert "Cases 1–25" in html and "page=2" in html
    html = web.get(reverse("cases:caseload"), {"page": 2}).content.decode()
    assert "Cases 26–30" in html


# --- the case page -----------------------------------------------------------------------

def test_case_page_shows_the_situation_and_logs_the_read(web, case, counsellor):
    f.OrderFactory(case=case, notified_on=dt.date(2025, 3, 1), issued_on=dt.date(2025, 2, 27), departure_term_days=28,
                   term_reason="Risk of absconding", departure_deadline=dt.date(2025, 3, 31))
    f.ProcedureFactory(case=case, kind=LegalProcedure.Kind.EXTREME_URGENCY_REQUEST, suspensive=True)
    response = web.get(detail(case))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<title>Case #{case.pk} · ReturnPath</title>" in html  # no name in the title
    assert case.person.family_name.upper() in html
    assert "Risk of absconding" in html and "a Saturday" not in html  # 29/03/2025 + working-day rule below
    assert "Suspensive: no removal while pending" in html
    assert "<svg" in html and "node-current" in html
    assert CaseAccess.objects.filter(case=case, user=counsellor, via="web").exists()


def test_deadline_explains_the_roll_over_to_a_working_day(web, case):
    # Notified Thursday 27/02/2025 + 30 days = Saturday 29/03/2025 → Monday 31/03/2025.
    f.OrderFactory(case=case, issued_on=dt.date(2025, 2, 27), notified_on=dt.date(2025, 2, 27), departure_term_days=30,
                   departure_deadline=dt.date(2025, 3, 31))
    html = web.get(detail(case)).content.decode()
    assert "29/03/2025" in html and "Saturday" in html and "31/03/2025" in html


def test_other_office_cannot_open_the_case(client, case, other_counsellor):
    client.force_login(other_counsellor)
    assert client.get(detail(case)).status_code == 404
    assert client.post(reverse("cases:step", args=[case.pk, "close"]), {}).status_code == 404


def test_refused_step_shows_its_reasons_instead_of_a_button(web, case):
    html = web.get(detail(case)).content.decode()
    assert "Start orientation" in html
    assert "The intake conversation has not been held yet." in html
    assert f'action="{reverse("cases:step", args=[case.pk, "start_orientation"])}"' not in html


def test_take_a_step(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    Case.objects.filter(pk=case.pk).update(held_conversations=1)
    response = web.post(reverse("cases:step", args=[case.pk, "start_orientation"]), {"t-start_orientation-expected_state": "registered"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.ORIENTATION


def test_a_stale_page_gets_the_conflict_not_a_wrong_step(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    response = web.post(
        reverse("cases:step", args=[case.pk, "close"]),
        {"t-close-expected_state": "registered", "t-close-reason": "duplicate", "t-close-note": "dup"},
    )
    assert response.status_code == 409
    assert "Someone else changed this case meanwhile" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.ORIENTATION


def test_step_inputs_are_asked_and_kept_on_error(client, office, manager):
    client.force_login(manager)
    case = f.CaseFactory(office=office, state=State.ORIENTATION)
    response = client.post(
        reverse("cases:step", args=[case.pk, "close"]),
        {"t-close-expected_state": "orientation", "t-close-reason": "", "t-close-note": "Typed by the manager"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Typed by the manager" in html and "This field is required." in html


def test_counsellor_proposes_escalation_manager_decides(client, office, counsellor, manager):
    # Before the deadline only a short term or a shortening decision allows escalation (issue 9), not the flag.
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, public_order=True,
                         early_escalation_ground="shortened")
    client.force_login(counsellor)
    html = client.get(detail(case)).content.decode()
    assert "Only an office manager may decide an escalation to forced return." in html
    assert "Propose escalation to the office manager" in html
    response = client.post(reverse("cases:propose_escalation", args=[case.pk]), {"motivation": "Refused every option."})
    assert response.status_code == 302
    client.force_login(manager)
    html = client.get(reverse("counselling:my_day")).content.decode()
    assert f"#{case.pk}" in html and "Waiting for your decision" in html
    html = client.get(detail(case)).content.decode()
    assert f'action="{reverse("cases:step", args=[case.pk, "escalate_to_forced_return"])}"' in html
    response = client.post(
        reverse("cases:step", args=[case.pk, "escalate_to_forced_return"]),
        {"t-escalate_to_forced_return-expected_state": "orientation", "t-escalate_to_forced_return-motivation": "Public order."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.FORCED_RETURN


def test_placement_refusal_reasons_are_shown(client, office, manager):
    client.force_login(manager)
    case = f.CaseFactory(office=office, state=State.FORCED_RETURN, minor_children=2)
    centre = f.FacilityFactory(code="CC-T", name="Test closed centre", capacity=1)
    f.PlacementFactory(facility=centre, case=f.CaseFactory(office=office, state=State.FORCED_RETURN))
    response = client.post(reverse("cases:place", args=[case.pk]), {"facility": centre.pk, "started_on": timezone.localdate().isoformat(), "extension": "none"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "never held in a closed centre" in html and "is full" in html


def test_record_a_suspensive_procedure_moves_forced_return_to_review(client, office, manager):
    client.force_login(manager)
    case = f.CaseFactory(office=office, state=State.FORCED_RETURN)
    response = client.post(
        reverse("cases:record_procedure", args=[case.pk]),
        {"kind": "extreme_urgency_request", "lodged_on": timezone.localdate().isoformat(), "suspensive": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.LEGAL_STAY_REVIEW and case.pending_suspensive_procedures == 1
    procedure = case.procedures.get()
    response = client.post(
        reverse("cases:decide_procedure", args=[case.pk, procedure.pk]),
        {f"decide-{procedure.pk}-decision": "rejected", f"decide-{procedure.pk}-decided_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == "rejected"


def test_address_invalid(web, case):
    response = web.post(reverse("cases:update_address", args=[case.pk]), {"street": "", "postcode": "", "municipality": "", "invalid": "on"})
    assert response.status_code == 302
    case.person.refresh_from_db()
    assert case.person.address_invalid


def test_timeline_is_paginated(web, case, counsellor):
    from cases.services import record_event

    for i in range(25):
        record_event(case=case, actor=counsellor, kind="address_changed", note=f"event note {i:02d}")
    html = web.get(detail(case)).content.decode()
    assert "event note 24" in html and "event note 00" not in html and "Show older events" in html
    html = web.get(reverse("cases:timeline", args=[case.pk]), {"timeline": 2}).content.decode()
    assert "event note 00" in html


def test_nav_survives_missing_dashboards(web):
    html = web.get(reverse("cases:caseload")).content.decode()
    assert "My day" in html and "Caseload" in html


def test_manager_of_the_office_sees_the_case(client, case, office):
    manager = f.staff(username="m2", office=office, role=Membership.Role.MANAGER)
    client.force_login(manager)
    assert client.get(detail(case)).status_code == 200


def test_conversation_in_timeline_shows_outcome(web, case, counsellor):
    from counselling import services

    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(hours=1))
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk, stance="considering",
                                      discussed_voluntary_return=True, notes="Talked about family in Morocco.", agreed_next_step="Call the partner")
    html = web.get(detail(case)).content.decode()
    assert "Talked about family in Morocco." in html and "Call the partner" in html
    assert Conversation.objects.get(pk=conversation.pk).status == "held"


@pytest.mark.django_db
def test_a_manager_declines_an_escalation_proposal_with_a_reason(client, office, counsellor, manager):
    from cases import services as case_services
    from cases.models import Case, CaseEvent, State
    from tests import factories as f

    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, public_order=True,
                         departure_deadline=timezone.localdate() - dt.timedelta(days=1))
    case_services.propose_escalation(actor=counsellor, case_id=case.pk, motivation="Refuses every option.")
    client.force_login(manager)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Decline the proposal to escalate" in page
    empty = client.post(f"/cases/{case.pk}/decline/escalation/", {"decline-escalation-reason": ""})
    assert empty.status_code == 400
    done = client.post(f"/cases/{case.pk}/decline/escalation/", {"decline-escalation-reason": "Two more conversations first."})
    assert done.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.escalation_proposed_at is None
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PROPOSAL_DECLINED, note="Two more conversations first.").exists()
    client.force_login(counsellor)  # a counsellor cannot decide
    case_services.propose_escalation(actor=counsellor, case_id=case.pk, motivation="Again.")
    assert client.post(f"/cases/{case.pk}/decline/escalation/", {"decline-escalation-reason": "no"}).status_code == 400
