"""The case page costs the same small number of queries for every role, whatever the history.

Counted: the session, the user (with its permissions and API client), the office memberships, the
case, the access-log write (decision 022) and one read of every list the page shows (decision 071:
orders, procedures, placements, detention, term decisions, the return work, the planned
conversation and the first page of the timeline). A manager's page also lists the facilities a
case can be placed in. The issue's bound is 12 for every role; the pins are today's counts, so the
page can only get cheaper.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.api.auth import create_client_token
from cases.api.models import ApiClient
from cases.models import DepartureTermDecision, DetentionDecision, PossibleDuplicate, State
from cases.returns.care import FitnessOpinion, RemovalOperation, Vulnerability
from cases.returns.models import ConsularRequest, FollowUpContact, Referral, ReintegrationSupport, TravelDocument
from returnpath import roles
from tests import factories as f

ISSUE_BOUND = 12
# On PostgreSQL, where the page's lists come in one round trip (the suite's database).
CASE_PAGE_QUERIES = {"counsellor": 6, "manager": 7, "coordinator": 5}
ROLE_FIXTURES = {roles.COUNSELLOR: "counsellor", roles.OFFICE_MANAGER: "manager", roles.NATIONAL_COORDINATOR: "coordinator"}


def _history(case, n: int, *, first: bool = True, partner: ApiClient | None = None, decided_by=None) -> None:
    """``n`` more of everything the case page lists (the first call also adds the one-of-a-kind rows)."""
    today = timezone.localdate()
    now = timezone.now()
    shift = 0 if first else 50
    decided_by = decided_by or case.counsellor
    for i in range(n):
        notified = today - dt.timedelta(days=300 - i)
        f.OrderFactory(case=case, notified_on=notified + dt.timedelta(days=shift), issued_on=notified - dt.timedelta(days=1))
        f.ProcedureFactory(case=case, lodged_on=today - dt.timedelta(days=200 - i), suspensive=False)
        f.ConversationFactory(case=case, status="held", stance="considering",
                              planned_at=now - dt.timedelta(days=40 + i, minutes=i + (0 if first else 30)))
        DepartureTermDecision.objects.create(case=case, kind="extension", ground="school_children", decided_on=today - dt.timedelta(days=i),
                                             previous_deadline=today, new_deadline=today + dt.timedelta(days=10), decided_by=decided_by,
                                             days=10)
        ConsularRequest.objects.create(case=case, country="MA", consulate="Antwerp", sent_on=today - dt.timedelta(days=30 + i + shift))
        TravelDocument.objects.create(case=case, kind="passport", status="missing")
        FitnessOpinion.objects.create(case=case, given_on=today - dt.timedelta(days=60 + i + shift), lifted_on=today)
        RemovalOperation.objects.create(case=case, planned_on=today - dt.timedelta(days=10 + i + shift), status="cancelled",
                                        outcome_on=today - dt.timedelta(days=9 + i + shift))
        referral = Referral.objects.create(case=case, partner=partner, destination_country="MA", consent_on=today, stage="cancelled")
        ReintegrationSupport.objects.create(referral=referral, kind="housing", planned_on=today)
        FollowUpContact.objects.create(referral=referral, month=3, contacted_on=today)
        PossibleDuplicate.objects.create(case=case, existing_case=f.CaseFactory(office=case.office), match="name")
    if first:
        f.ConversationFactory(case=case, planned_at=now + dt.timedelta(days=3))
        period = f.DetentionPeriodFactory(case=case, started_on=today - dt.timedelta(days=20))
        DetentionDecision.objects.create(case=case, period=period, kind="extension", decided_on=today, decided_by=decided_by,
                                         extend_to="extended", ground="")
        f.PlacementFactory(case=case, facility=f.FacilityFactory(), started_on=today - dt.timedelta(days=20))
        Vulnerability.objects.create(case=case, medical_condition=True, note="asthma")
        FitnessOpinion.objects.create(case=case, given_on=today - dt.timedelta(days=5), physician="Dr. Peeters")


def build_rich_case(office, counsellor, manager):
    partner, _created, _token = create_client_token(name="Return partner", scopes=["returns:partner"])
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    _history(case, 2, partner=partner, decided_by=manager)
    case.partner = partner
    return case


@pytest.fixture
def rich_case(office, counsellor, manager):
    return build_rich_case(office, counsellor, manager)


def _captured(client, user, case):
    client.force_login(user)
    client.get(f"/cases/{case.pk}/")  # the first visit fills per-process caches and touches the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return captured


@pytest.mark.postgres  # the page's lists in one statement (returnpath.preload) is PostgreSQL's
@pytest.mark.parametrize("role", list(ROLE_FIXTURES))
def test_the_case_page_costs_at_most_twelve_queries_whatever_the_history(role, request, client, rich_case):
    user = request.getfixturevalue(ROLE_FIXTURES[role])
    small = _captured(client, user, rich_case)
    _history(rich_case, 12, first=False, partner=rich_case.partner)  # six times the history of every list
    large = _captured(client, user, rich_case)
    assert len(small) == len(large), [q["sql"][:120] for q in large]
    assert len(large) <= ISSUE_BOUND, [q["sql"][:120] for q in large]
    if connection.vendor == "postgresql":
        assert len(large) == CASE_PAGE_QUERIES[ROLE_FIXTURES[role]], [q["sql"][:120] for q in large]


def test_every_staff_role_that_sees_cases_is_counted():
    seeing = {name for name, perms in roles.ROLE_PERMISSIONS.items() if "cases.view_case" in perms and name != roles.ADMINISTRATOR}
    assert seeing == set(ROLE_FIXTURES)
