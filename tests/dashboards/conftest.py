"""A constructed world where every dashboard figure is known in advance.

Dates are relative to today, but chosen so each figure is the same whatever day the tests
run: conversations sit in named weeks, outcomes and orders in the previous calendar quarter
(always inside the last 12 months) or safely outside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from cases.figures import week_start
from cases.models import State
from counselling.dashboards.selectors import Quarter
from offices.models import Office
from tests import factories as f


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass
class World:
    office: Office
    other_office: Office
    c1: object
    c2: object
    manager: object
    coordinator: object
    counsellor_b: object
    quarter: Quarter
    facility: Office
    house: Office
    today: dt.date


@pytest.fixture
def world(office, other_office, counsellor, other_counsellor, manager, coordinator) -> World:
    today = timezone.localdate()
    monday = week_start(today)
    last_week, two_weeks_ago, next_week = monday - dt.timedelta(weeks=1), monday - dt.timedelta(weeks=2), monday + dt.timedelta(weeks=1)
    eleven_weeks_ago = monday - dt.timedelta(weeks=11)
    q = Quarter.containing(today).previous()
    c1, c2 = counsellor, f.staff(username="counsellor.two", office=office)

    def case(state, counsellor=c1, office=office, nationality="MA", **kw):
        kw.setdefault("departure_deadline", None)
        return f.CaseFactory(state=state, office=office, counsellor=counsellor, person=f.PersonFactory(nationality=nationality), **kw)

    def order(case, notified_on):
        return f.OrderFactory(case=case, issued_on=notified_on, notified_on=notified_on, departure_deadline=notified_on + dt.timedelta(days=30))

    def conversation(case, when, status, counsellor=None):
        return f.ConversationFactory(case=case, planned_at=when, status=status, counsellor=counsellor or case.counsellor,
                                     stance="considering" if status == "held" else "")

    # --- office A: ten open cases -----------------------------------------------------------
    k1 = case(State.REGISTERED, departure_deadline=today + dt.timedelta(days=5))  # no planned; deadline ≤ 7
    k2 = case(State.ORIENTATION, departure_deadline=today + dt.timedelta(days=10), nationality="FR",
              next_conversation_at=at(last_week, 10))  # overdue outcome; deadline ≤ 14; EU citizen
    conversation(k2, at(last_week, 10), "planned")
    order(k2, q.first_day + dt.timedelta(days=3))
    k3 = case(State.LEGAL_STAY_REVIEW, counsellor=c2, pending_suspensive_procedures=1, next_conversation_at=at(next_week, 10))
    conversation(k3, at(next_week, 10), "planned")
    k4 = case(State.LEGAL_STAY_REVIEW, counsellor=c2, lose_contact_proposed_at=timezone.now(), next_conversation_at=at(next_week, 11))
    conversation(k4, at(next_week, 11), "planned")
    k5 = case(State.VOLUNTARY_RETURN, counsellor=c2, departure_deadline=today - dt.timedelta(days=3), next_conversation_at=at(next_week, 12))
    conversation(k5, at(next_week, 12), "planned")
    k6 = case(State.ORIENTATION, target_group="family", escalation_proposed_at=timezone.now(), next_conversation_at=at(next_week, 10))
    conversation(k6, at(next_week, 10), "planned")
    conversation(k6, at(monday, 9), "held")
    k7 = case(State.FORCED_RETURN, target_group="public_order", next_conversation_at=at(next_week, 11))
    conversation(k7, at(next_week, 11), "planned")
    k8 = case(State.UNTRACEABLE, counsellor=c2, state_entered_at=timezone.now() - dt.timedelta(days=30))
    conversation(k8, at(eleven_weeks_ago, 10), "no_show")
    conversation(k8, at(eleven_weeks_ago - dt.timedelta(weeks=2), 10), "no_show")  # before the 12 weeks
    case(State.UNTRACEABLE, counsellor=c2, state_entered_at=timezone.now() - dt.timedelta(days=400))
    case(State.REGISTERED, counsellor=None)  # unassigned, no planned conversation
    conversation(k1, at(last_week, 14), "cancelled")

    # --- office A: outcomes -----------------------------------------------------------------
    departed_on = q.first_day + dt.timedelta(days=5)
    k10 = case(State.DEPARTED, outcome_at=noon(departed_on), departed_on=departed_on)
    order(k10, departed_on - dt.timedelta(days=30))  # 30 days to the outcome
    order(k10, q.first_day + dt.timedelta(days=2))  # a repeat order, in the quarter
    conversation(k10, at(two_weeks_ago, 10), "held")
    conversation(k10, at(two_weeks_ago + dt.timedelta(days=1), 10), "no_show")
    removed_on = q.first_day + dt.timedelta(days=10)
    k11 = case(State.REMOVED, nationality="DZ", outcome_at=noon(removed_on), removed_on=removed_on)
    order(k11, q.first_day + dt.timedelta(days=1))  # 9 days
    granted = q.first_day - dt.timedelta(days=20)
    k12 = case(State.LEGAL_STAY_GRANTED, nationality="AF", outcome_at=noon(granted))
    order(k12, granted - dt.timedelta(days=51))  # 51 days
    old = case(State.CLOSED, outcome_at=timezone.now() - dt.timedelta(days=400), close_reason="duplicate")
    order(old, today - dt.timedelta(days=420))
    closed = q.first_day - dt.timedelta(days=10)
    k14 = case(State.CLOSED, outcome_at=noon(closed), close_reason="duplicate")
    order(k14, closed - dt.timedelta(days=20))  # 20 days → median of 9, 20, 30, 51 = 25

    # --- facilities ---------------------------------------------------------------------------
    facility = f.FacilityFactory(code="CC-TEST", name="Test closed centre", capacity=10)
    house = f.FacilityFactory(code="RH-TEST", name="Test return house", kind=Office.Kind.RETURN_HOUSE, capacity=3)
    f.PlacementFactory(case=k7, facility=facility, started_on=today - dt.timedelta(days=20))
    f.PlacementFactory(case=k11, facility=facility, started_on=today - dt.timedelta(days=60), ended_on=today - dt.timedelta(days=30))

    # --- office B ----------------------------------------------------------------------------
    b = other_counsellor
    case(State.ORIENTATION, counsellor=b, office=other_office)
    b_departed = q.first_day + dt.timedelta(days=7)
    b2 = case(State.DEPARTED, counsellor=b, office=other_office, nationality="SY", outcome_at=noon(b_departed), departed_on=b_departed)
    order(b2, q.first_day + dt.timedelta(days=4))  # 3 days
    conversation(b2, at(last_week, 9), "held")
    case(State.LEGAL_STAY_REVIEW, counsellor=b, office=other_office, pending_suspensive_procedures=2)

    return World(office=office, other_office=other_office, c1=c1, c2=c2, manager=manager, coordinator=coordinator,
                 counsellor_b=b, quarter=q, facility=facility, house=house, today=today)
