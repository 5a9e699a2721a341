"""seed_volume: generated volume that is consistent with what the services write, and never mixed with real data."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Min, Q

from cases.models import Case, CaseEvent, LegalProcedure, OrderToLeave, State
from counselling.dashboards.selectors import Clock, national_dashboard
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
    # The dashboards' tallies were filled at the end (the conversation, office conversation and
    # outcome tallies included): the national page from them is the live one (decisions 110, 118).
    clock = Clock.start()
    live, summed = national_dashboard(user=None, clock=clock, live=True), national_dashboard(user=None, clock=clock)
    assert [(o.pk, asdict(f)) for o, f in summed.offices] == [(o.pk, asdict(f)) for o, f in live.offices]
    assert [asdict(w) for w in summed.weeks] == [asdict(w) for w in live.weeks]
    assert sum(w.held for w in live.weeks) and live.totals.median_days is not None
    # The tables its fills and triggers wrote have statistics too, not only those written by COPY:
    # without them the planner scanned 1.4M person-quarter rows per batch chunk at 1M (decision 119).
    from cases.models import CounsellorLoad
    from counselling.models import (
        CaseTally,
        ConversationTally,
        OfficeConversationTally,
        OfficeTally,
        OutcomeTally,
        PersonQuarter,
        QuarterTally,
    )

    tables = [m._meta.db_table for m in (PersonQuarter, QuarterTally, CaseTally, OfficeTally, ConversationTally,
                                         OfficeConversationTally, OutcomeTally, CounsellorLoad) if m.objects.exists()]
    assert PersonQuarter._meta.db_table in tables
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() AND tablename = ANY(%s)", [tables])
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(tables)


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


def _indexes() -> set[tuple]:
    """Name, table, access method, unique, partial and key columns of the generated tables' indexes.

    Not the text of ``pg_get_indexdef``: a partial index re-created from it (as pg_dump does)
    deparses its predicate's casts differently, the same condition."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, t.relname, am.amname, i.indisunique, i.indpred IS NOT NULL, i.indkey::text, i.indisvalid
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_am am ON am.oid = c.relam
               WHERE t.relname IN ('cases_person', 'cases_case', 'cases_ordertoleave', 'cases_caseevent',
                                   'cases_legalprocedure', 'cases_placement', 'counselling_conversation')"""
        )
        return set(cursor.fetchall())


def test_the_indexes_dropped_for_the_copy_come_back_as_they_were(db):
    before = _indexes()
    assert any(method == "gin" for _n, _t, method, *_rest in before) and len(before) > 20
    seed_volume(cases=50, seed=3, counsellors=20)
    assert _indexes() == before


def test_the_schema_comes_back_as_the_migrations_made_it(db):
    """Indexes and foreign keys are dropped for the COPY and made again after it (decision 073):
    the same definitions, and the keys hold for the copied rows."""
    from django.db import connection

    def schema() -> tuple[list, list]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
                           " WHERE contype = 'f' ORDER BY 1, 2")
            keys = cursor.fetchall()
            # By name, table and uniqueness: a partial index's predicate reads back in another
            # (equivalent) spelling once it has been through pg_get_indexdef.
            cursor.execute("SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indisunique, i.indnatts"
                           " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE n.nspname = 'public' ORDER BY 1")
            return keys, cursor.fetchall()

    before = schema()
    seed_volume(cases=120, seed=3, counsellors=20)
    assert schema() == before
    assert all(validated for *_key, validated in before[0])
    with pytest.raises(Exception, match="foreign key"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO cases_ordertoleave (case_id, external_reference, issued_on, notified_on, departure_term_days,"
                       " term_reason, legal_basis, entry_ban_years, departure_deadline, content_hash, received_at)"
                       " VALUES (-1, 'x', now(), now(), 30, '', '', 0, now(), '', now())")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
