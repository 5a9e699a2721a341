"""seed_volume: generated volume that is consistent with what the services write, and never mixed with real data."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Min, Q

from cases.models import Case, CaseEvent, LegalProcedure, OrderToLeave, State
from counselling.models import Conversation
from counselling.volume import COUNSELLED, seed_volume
from tests import factories as f

pytestmark = pytest.mark.postgres


def test_volume_is_consistent_with_the_services_invariants(db):
    report = seed_volume(cases=600, seed=7, counsellors=60)
    assert report.cases == Case.objects.count() == 600
    # Every state and target group is there; about a fifth of cases have a repeat order.
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values)
    assert Case.objects.values("target_group").distinct().count() == 7
    repeats = Case.objects.annotate(n=Count("orders")).filter(n__gt=1).count()
    assert 0.12 * 600 < repeats < 0.28 * 600
    assert 3 < Conversation.objects.count() / 600 < 7
    assert CaseEvent.objects.count() / 600 > 5
    # Each counselled case has exactly one planned conversation, and its time is on the case.
    counselled = Case.objects.filter(state__in=COUNSELLED)
    planned = Conversation.objects.filter(status=Conversation.Status.PLANNED)
    assert planned.count() == counselled.count()
    assert not counselled.exclude(next_conversation_at__in=planned.values("planned_at")).exists()
    # The counters on the case agree with its conversations and procedures.
    mismatched = Case.objects.annotate(
        held=Count("conversations", filter=Q(conversations__status="held"), distinct=True),
        pending=Count("procedures", filter=Q(procedures__status=LegalProcedure.Status.PENDING), distinct=True),
    ).filter(~Q(held_conversations=F("held")) | ~Q(pending_procedures=F("pending")))
    assert not mismatched.exists()
    # Every order has a deadline no earlier than its notification.
    assert not OrderToLeave.objects.filter(departure_deadline__lt=F("notified_on")).exists()
    # The first notification on the case is its earliest order's (decision 065).
    first = Case.objects.annotate(first=Min("orders__notified_on"))
    assert not first.filter(~Q(first_notified_on=F("first"))).exists()
    assert not Case.objects.filter(first_notified_on__isnull=True).exists()


def test_the_same_seed_gives_the_same_data_and_sequences_move_on(db):
    seed_volume(cases=150, seed=11, counsellors=30)
    first = list(Case.objects.order_by("id").values_list("state", "target_group", "minor_children"))
    call_command("seed_volume", cases=150, seed=11, counsellors=30, reuse=True)  # reused: nothing added
    assert Case.objects.count() == 150
    seed_volume(cases=150, seed=11, counsellors=30)
    second = list(Case.objects.order_by("id").values_list("state", "target_group", "minor_children"))[150:]
    assert second == first
    # The id sequences were moved past the generated rows: the services can go on writing.
    case = f.CaseFactory()
    assert case.pk > max(Case.objects.exclude(pk=case.pk).values_list("pk", flat=True))


def test_refuses_a_database_with_real_cases(db):
    f.CaseFactory()
    with pytest.raises(CommandError, match="did not generate"):
        call_command("seed_volume", cases=10, seed=1, counsellors=10)
    assert Case.objects.count() == 1
