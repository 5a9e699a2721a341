"""Warnings that mean something (issue 14, point 5): the caseload's default view and the planner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import legal
from cases.models import Case, State
from counselling.scheduling import propose_next_conversation
from tests import factories as f

pytestmark = pytest.mark.django_db


def _names(response) -> list[int]:
    return [case.pk for case in response.context["cases"]]


def test_a_counsellors_caseload_opens_on_their_own_cases(client, office, counsellor):
    colleague = f.staff(username="colleague", office=office)
    mine = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    theirs = f.CaseFactory(office=office, counsellor=colleague, state=State.ORIENTATION)
    client.force_login(counsellor)
    assert _names(client.get(reverse("cases:caseload"))) == [mine.pk]
    everyone = client.get(reverse("cases:caseload"), {"counsellor": "all"})
    assert set(_names(everyone)) == {mine.pk, theirs.pk}


def test_a_manager_without_cases_sees_the_office(client, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    client.force_login(manager)
    assert _names(client.get(reverse("cases:caseload"))) == [case.pk]


def test_the_caseload_sorts_by_what_needs_action_next(client, office, counsellor):
    today, now = timezone.localdate(), timezone.now()

    def make(**fields):
        case = f.CaseFactory(office=office, counsellor=counsellor, state=fields.pop("state", State.ORIENTATION))
        Case.objects.filter(pk=case.pk).update(**fields)
        return case.pk

    calm = make(departure_deadline=today + dt.timedelta(days=25), next_conversation_at=now + dt.timedelta(days=9))
    suspended = make(departure_deadline=today + dt.timedelta(days=2), pending_suspensive_procedures=1,
                     next_conversation_at=now + dt.timedelta(days=12), state=State.LEGAL_STAY_REVIEW)
    deadline_soon = make(departure_deadline=today + dt.timedelta(days=3), next_conversation_at=now + dt.timedelta(days=2))
    nothing_planned = make(departure_deadline=today + dt.timedelta(days=20), next_conversation_at=None)
    outcome_to_log = make(departure_deadline=today + dt.timedelta(days=30), next_conversation_at=now - dt.timedelta(hours=5))
    client.force_login(counsellor)
    order = _names(client.get(reverse("cases:caseload")))
    assert order == [outcome_to_log, nothing_planned, deadline_soon, calm, suspended]


def test_the_intake_falls_before_the_departure_deadline_when_a_slot_exists(office, counsellor):
    today = timezone.localdate()
    deadline = legal.add_working_days(today, 2)
    case = f.CaseFactory(office=office, counsellor=counsellor, departure_deadline=deadline)
    f.OrderFactory(case=case, notified_on=today - dt.timedelta(days=1), issued_on=today - dt.timedelta(days=2), departure_deadline=deadline)
    proposal = propose_next_conversation(case=case)
    assert proposal is not None and proposal.is_intake
    assert timezone.localtime(proposal.planned_at).date() <= deadline
