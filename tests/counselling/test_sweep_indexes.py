"""The sweeps and the dashboards' due rows are served by their partial indexes (decisions 065, 066).

With sequential scans discouraged, PostgreSQL must be able to answer each selection from the
partial index made for it: a change to a selection that no longer implies the index's predicate
(and would fall back to reading every case at 1M) fails here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import OPEN_STATES, Case, DetentionPeriod, State
from counselling.backoff import deferred_cases
from counselling.dashboards.selectors import Clock
from counselling.sweeps import cases_due_for_planning, cases_needing_conversation, cases_over_no_show_limit

pytestmark = pytest.mark.postgres


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _selections():
    clock = Clock.start()
    today = timezone.localdate()
    return {
        "case_needs_conversation": cases_needing_conversation().order_by("pk").values("pk"),
        "case_due_for_planning": cases_due_for_planning().order_by("pk").values("pk"),
        "case_planning_deferred": deferred_cases().filter(planning_retry_at__lte=clock.now).values("pk"),
        "case_no_shows_pending": cases_over_no_show_limit().order_by("pk").values("pk"),
        "detention_running": DetentionPeriod.objects.filter(ended_on__isnull=True, started_on__lte=today).values("case_id"),
        "case_open_deadline": Case.objects.filter(state__in=OPEN_STATES, departure_deadline__gte=today).values("office_id"),
        "case_open_next_conversation": Case.objects.filter(
            state__in=OPEN_STATES, next_conversation_at__isnull=False, next_conversation_at__lt=clock.now).values("office_id"),
        "case_outcome": Case.objects.filter(clock.last_12_months("outcome_at"), outcome_at__isnull=False).values("office_id"),
        "case_untraceable_since": Case.objects.filter(clock.last_12_months("state_entered_at"), state=State.UNTRACEABLE)
        .values("office_id"),
    }


INDEXES = ("case_needs_conversation", "case_due_for_planning", "case_planning_deferred", "case_no_shows_pending", "detention_running", "case_open_deadline",
           "case_open_next_conversation", "case_outcome", "case_untraceable_since")


@pytest.mark.parametrize("index", INDEXES)
def test_each_selection_can_use_its_partial_index(db, index):
    plan = _plan(_selections()[index])
    assert index in plan, plan


def test_the_planning_selection_is_the_cases_without_a_planned_conversation(office, counsellor):
    due = Case.objects.create(person=_person(), office=office, counsellor=counsellor, state=State.ORIENTATION)
    planned = Case.objects.create(person=_person(), office=office, counsellor=counsellor, state=State.ORIENTATION,
                                  next_conversation_at=timezone.now() + dt.timedelta(days=1))
    untraceable = Case.objects.create(person=_person(), office=office, counsellor=counsellor, state=State.UNTRACEABLE)
    found = set(cases_needing_conversation().values_list("pk", flat=True))
    assert due.pk in found and planned.pk not in found and untraceable.pk not in found


def _person():
    from tests.factories import PersonFactory

    return PersonFactory()
