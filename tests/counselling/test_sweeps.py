"""Sweeps: plan what is missing, flag, propose, warn — idempotently, recorded (issue 5, items 4 and 7)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cases import legal
from cases.models import Case, CaseEvent, State
from counselling import sweeps
from counselling.models import Conversation, OutboundMessage, SweepRun
from counselling.scheduling import BRUSSELS
from offices.models import StaffProfile
from tests import factories as f

pytestmark = pytest.mark.django_db


def assert_well_planned(counsellor_ids, exclude=()):
    rows = list(Conversation.objects.filter(counsellor_id__in=counsellor_ids, status="planned")
                .exclude(pk__in=exclude).order_by("counsellor_id", "planned_at"))
    for a, b in itertools.pairwise(rows):
        if a.counsellor_id == b.counsellor_id:
            assert a.planned_at + dt.timedelta(minutes=a.duration_minutes) <= b.planned_at
    for row in rows:
        start = timezone.localtime(row.planned_at, BRUSSELS)
        assert legal.is_working_day(start.date()) and dt.time(9) <= start.time() <= dt.time(16)


def test_plan_sweep_plans_each_counselled_case_once_and_twice_changes_nothing(office, counsellor, django_assert_max_num_queries):
    second = f.staff(username="second", office=office)
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=3)
    todo = [*f.CaseFactory.create_batch(12, office=office, counsellor=counsellor), *f.CaseFactory.create_batch(5, office=office, counsellor=second)]
    f.CaseFactory(office=office, counsellor=counsellor, state=State.UNTRACEABLE)
    f.CaseFactory(office=office, counsellor=counsellor, state=State.DEPARTED)
    already = f.ConversationFactory(case__office=office, case__counsellor=counsellor)
    with override_settings(RETURNPATH_SWEEP_BATCH_SIZE=5), django_assert_max_num_queries(60):
        counts = sweeps.plan_missing_conversations()
    assert counts["planned"] == 17 and counts["unplannable"] == 0
    for case in todo:
        assert Conversation.objects.filter(case=case, status="planned").count() == 1
        case.refresh_from_db()
        assert case.next_conversation_at is not None
    assert Conversation.objects.filter(case=already.case).count() == 1
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CONVERSATION_PLANNED).count() == 17
    per_day = {}
    for row in Conversation.objects.filter(counsellor=counsellor, status="planned"):
        day = timezone.localtime(row.planned_at).date()
        per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values()) <= 3
    assert_well_planned([counsellor.pk, second.pk], exclude=[already.pk])
    assert sweeps.plan_missing_conversations()["planned"] == 0
    run = SweepRun.objects.filter(name=sweeps.PLAN).first()
    assert run.finished_at and run.counts["planned"] == 0 and not run.error


def test_query_count_does_not_grow_with_the_batch(office, counsellor, django_assert_max_num_queries):
    f.CaseFactory.create_batch(40, office=office, counsellor=counsellor)
    # 21: one statement a run wakes the stuck cases whose back-off has passed (decision 123).
    with django_assert_max_num_queries(21):
        assert sweeps.plan_missing_conversations()["planned"] == 40


def test_bulk_sweep_and_per_case_service_follow_the_same_rules(office, counsellor):
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=2)
    f.CaseFactory.create_batch(5, office=office, counsellor=counsellor)
    bulk = sweeps.plan_missing_conversations()
    assert bulk["planned"] == 5
    first = sorted(Conversation.objects.filter(status="planned").values_list("planned_at", flat=True))
    Conversation.objects.update(status="cancelled")
    Case.objects.update(next_conversation_at=None)  # as the cancelling service does (the sweep reads the case)
    assert sweeps.plan_missing_one_by_one()["planned"] == 5
    again = sorted(Conversation.objects.filter(status="planned").values_list("planned_at", flat=True))
    assert first == again


def test_unplannable_cases_are_counted_and_shown_as_stuck(counsellor, manager, client):
    bare = f.OfficeFactory(code="NO-HOURS")
    case = f.CaseFactory(office=bare, counsellor=counsellor, opened_at=timezone.now() - dt.timedelta(hours=3))
    from offices.models import Membership

    Membership.objects.create(user=manager, office=bare, role=Membership.Role.MANAGER)
    assert sweeps.plan_missing_conversations()["unplannable"] == 1
    client.force_login(manager)
    page = client.get(reverse("operations:index"))
    assert page.status_code == 200
    assert f"#{case.pk}" in page.content.decode()
    assert "plan_missing_conversations" in page.content.decode()


def test_operations_view_is_for_managers_and_coordinators(counsellor, coordinator, client):
    client.force_login(counsellor)
    assert client.get(reverse("operations:index")).status_code == 403
    client.force_login(coordinator)
    assert client.get(reverse("operations:index")).status_code == 200


def test_operations_view_shows_claimed_unsent_messages_and_overdue(case, manager, client):
    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(hours=5))
    OutboundMessage.objects.create(conversation=conversation, kind="invitation", channel="sms", to="+32470",
                                   claimed_at=timezone.now() - dt.timedelta(hours=1))
    assert sweeps.flag_overdue_conversations()["flagged"] == 1
    client.force_login(manager)
    page = client.get(reverse("operations:index"))
    assert page.context["stuck_messages_count"] == 1 and page.context["overdue_count"] == 1


def test_overdue_flag_once(case):
    late = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(hours=4))
    f.ConversationFactory(case__office=case.office, counsellor=case.counsellor, case__counsellor=case.counsellor,
                          planned_at=timezone.now() - dt.timedelta(hours=1))
    assert sweeps.flag_overdue_conversations()["flagged"] == 1
    late.refresh_from_db()
    stamp = late.overdue_flagged_at
    assert stamp is not None
    assert sweeps.flag_overdue_conversations()["flagged"] == 0
    late.refresh_from_db()
    assert late.overdue_flagged_at == stamp


def test_no_show_rule_proposes_lose_contact_once(office, counsellor):
    over = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, consecutive_no_shows=2)
    under = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, consecutive_no_shows=1)
    dublin = f.CaseFactory(office=office, counsellor=counsellor, target_group="dublin", consecutive_no_shows=1)
    assert sweeps.apply_no_show_rule()["proposed"] == 2
    over.refresh_from_db()
    under.refresh_from_db()
    dublin.refresh_from_db()
    assert over.lose_contact_proposed_at and dublin.lose_contact_proposed_at and not under.lose_contact_proposed_at
    assert sweeps.apply_no_show_rule()["proposed"] == 0
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.LOSE_CONTACT_PROPOSED).count() == 2


def test_deadline_warning_once_per_deadline(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION,
                         departure_deadline=timezone.localdate() + dt.timedelta(days=5))
    f.CaseFactory(office=office, counsellor=counsellor, departure_deadline=timezone.localdate() + dt.timedelta(days=20))
    assert sweeps.warn_deadlines()["deadline"] == 1
    assert sweeps.warn_deadlines()["deadline"] == 0
    case.departure_deadline = timezone.localdate() + dt.timedelta(days=6)
    case.save()
    assert sweeps.warn_deadlines()["deadline"] == 1
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.DEADLINE_WARNING).count() == 2


def test_detention_warning_once_per_limit(office, counsellor):
    # Issue 9: the warning is per detention title (Aliens Act art. 7), not per placement.
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.FORCED_RETURN, departure_deadline=None)
    started = legal.add_months(timezone.localdate(), -2) + dt.timedelta(days=10)  # limit in ~9 days
    f.DetentionPeriodFactory(case=case, started_on=started)
    fresh = f.CaseFactory(office=office, counsellor=counsellor, state=State.FORCED_RETURN, departure_deadline=None)
    f.DetentionPeriodFactory(case=fresh, started_on=timezone.localdate() - dt.timedelta(days=5))
    assert sweeps.warn_deadlines()["detention"] == 1
    assert sweeps.warn_deadlines()["detention"] == 0
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.DETENTION_WARNING)
    assert event.case == case and event.data["limit"] == legal.detention_limit(started_on=started).isoformat()


def test_a_failing_sweep_records_its_error(monkeypatch):
    def boom(ids, **kwargs):
        raise RuntimeError("database on fire")

    f.CaseFactory(counsellor=f.staff(username="x", office=None))
    monkeypatch.setattr(sweeps, "plan_batch", boom)
    with pytest.raises(RuntimeError):
        sweeps.plan_missing_conversations()
    run = SweepRun.objects.get(name=sweeps.PLAN)
    assert run.finished_at and "database on fire" in run.error


def test_run_all_sweeps_task_eagerly(case):
    from counselling.tasks import run_all_sweeps

    result = run_all_sweeps.apply().get()
    assert result["plan_missing_conversations"]["planned"] == 1
    assert SweepRun.objects.count() == len(sweeps.SWEEPS)


def test_admin_pages_for_conversations_templates_messages_and_runs(client, case):
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    f.ConversationFactory(case=case)
    client.force_login(admin)
    for name in ("conversation", "messagetemplate", "outboundmessage", "sweeprun"):
        assert client.get(reverse(f"admin:counselling_{name}_changelist")).status_code == 200, name
    from counselling.models import Conversation, MessageTemplate
    assert client.get(reverse("admin:counselling_messagetemplate_change", args=[MessageTemplate.objects.first().pk])).status_code == 200
    assert client.get(reverse("admin:counselling_conversation_change", args=[Conversation.objects.first().pk])).status_code == 200
