"""One planner (decision 091): one availability rule, one agenda for a batch and its overflow, one event."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import CaseEvent
from counselling import services, sweeps
from counselling.models import Conversation
from counselling.scheduling import BRUSSELS, Agenda, counsellor_is_free, plan_next_for_case
from offices.models import StaffProfile
from returnpath.errors import DomainError
from tests import factories as f
from tests.counselling.test_services import later

pytestmark = pytest.mark.django_db


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)


def test_a_time_taken_by_a_held_conversation_is_not_free_by_hand_either(office, counsellor, case):
    """The person came earlier the same day: the conversation is held, its time still taken."""
    held = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(3, 10))
    Conversation.objects.filter(pk=held.pk).update(status=Conversation.Status.HELD, stance=Conversation.Stance.CONSIDERING)
    overlapping = later(3, 10) + dt.timedelta(minutes=held.duration_minutes // 2)
    after = later(3, 10) + dt.timedelta(minutes=held.duration_minutes)
    assert not counsellor_is_free(counsellor_id=counsellor.pk, start=overlapping, minutes=30)
    assert counsellor_is_free(counsellor_id=counsellor.pk, start=after, minutes=30)

    other = f.CaseFactory(office=office, counsellor=counsellor)
    with pytest.raises(DomainError) as refused:
        services.plan_conversation(actor=counsellor, case_id=other.pk, planned_at=overlapping)
    assert "already has a conversation at that time" in " ".join(refused.value.details)
    assert services.plan_conversation(actor=counsellor, case_id=other.pk, planned_at=after).planned_at == after


def test_a_conversation_running_past_midnight_keeps_the_counsellor_busy(counsellor):
    agenda = Agenda()
    agenda.book(counsellor.pk, local(2027, 5, 3, 23, 30), 60)
    assert not agenda.is_free(counsellor.pk, local(2027, 5, 4, 0, 0), 30)
    assert agenda.is_free(counsellor.pk, local(2027, 5, 4, 0, 30), 30)
    # Capacity per day is the slot finder's rule, not availability: a full day is still free at other times.
    assert agenda.is_free(counsellor.pk, local(2027, 5, 3, 10, 0), 30) and agenda.day_is_full(counsellor.pk, dt.date(2027, 5, 3), 1)


def test_the_sweep_and_the_per_case_service_write_the_same_event(office, counsellor):
    one, batch = f.CaseFactory(office=office, counsellor=counsellor), f.CaseFactory(office=office, counsellor=counsellor)
    single = plan_next_for_case(case_id=one.pk)
    assert sweeps.plan_missing_conversations()["planned"] == 1
    bulk = Conversation.objects.get(case=batch, status=Conversation.Status.PLANNED)
    events = {
        conversation.case_id: CaseEvent.objects.get(case_id=conversation.case_id, kind=CaseEvent.Kind.CONVERSATION_PLANNED)
        for conversation in (single, bulk)
    }
    for conversation in (single, bulk):
        event = events[conversation.case_id]
        assert event.actor is None and event.actor_label == "ReturnPath"
        assert dt.datetime.fromisoformat(event.data.pop("planned_at")) == conversation.planned_at
        assert event.data == {"conversation": conversation.pk, "mode": conversation.mode, "office": office.name, "intake": True}


def test_an_overflow_counsellor_is_booked_in_the_batchs_own_agenda(office, counsellor):
    """A counsellor of the neighbouring office plans a case of their own and takes a full office's
    case in the same batch: one agenda, so never twice the same time (before: a conflict, and the
    full office's case fell back to the per-case service, which does not look elsewhere)."""
    office.latitude, office.longitude = 50.846, 4.352
    office.save()
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=0)
    near = f.OfficeFactory(code="BXL-NEAR", name="near", province="brussels", latitude=50.85, longitude=4.36, languages=["fr"])
    f.add_weekday_hours(near)
    colleague = f.staff(username="near.counsellor", office=near, languages=("fr",))
    StaffProfile.objects.filter(user=colleague).update(conversations_per_day=1)
    own = f.CaseFactory(office=near, counsellor=colleague)  # first in the batch (lower id)
    full = f.CaseFactory(office=office, counsellor=counsellor)
    for case in (own, full):
        case.person.languages = ["fr"]
        case.person.save()

    counts = sweeps.plan_missing_conversations()
    assert (counts["planned"], counts["unplannable"]) == (2, 0)
    planned = {c.case_id: c for c in Conversation.objects.filter(status=Conversation.Status.PLANNED)}
    assert set(planned) == {own.pk, full.pk}
    assert {c.counsellor_id for c in planned.values()} == {colleague.pk}
    days = {c.planned_at.astimezone(BRUSSELS).date() for c in planned.values()}
    assert len(days) == 2  # one a day: the colleague's capacity holds across the batch and the overflow


@pytest.mark.postgres  # counted days are PostgreSQL's (decision 117); elsewhere the rows
def test_an_agenda_that_counts_full_days_answers_as_the_agenda_read_row_by_row(office, counsellor):
    """Decision 117: the planner's agenda reads a day its counsellor's limit fills as a number. Every
    answer of the slot finder's two questions is the one of the agenda read row by row: a full day
    with a conversation running past midnight, a day with room, a case left out, a higher limit."""
    left_out = f.CaseFactory(office=office, counsellor=counsellor)
    times = [local(2027, 5, 3, 10, 0), local(2027, 5, 3, 23, 30),  # Monday: full at two, one runs into Tuesday
             local(2027, 5, 4, 9, 0),  # Tuesday: room for one more
             local(2027, 5, 5, 9, 0), local(2027, 5, 5, 11, 0)]  # Wednesday: full, but one is the left-out case's
    for at in times:
        case = left_out if at == local(2027, 5, 5, 11, 0) else f.CaseFactory(office=office, counsellor=counsellor)
        f.ConversationFactory(case=case, counsellor=counsellor, office=office, planned_at=at, duration_minutes=60)
    first, last = dt.date(2027, 5, 2), dt.date(2027, 5, 6)
    for excluded in ((), (left_out.pk,)):
        rows = Agenda.load([counsellor.pk], first, last, excluded)
        counted = Agenda()
        counted.add([counsellor.pk], first, last, excluded, per_day={counsellor.pk: 2})
        assert (counsellor.pk, dt.date(2027, 5, 3)) in counted.counted  # read as a number, not row by row
        assert ((counsellor.pk, dt.date(2027, 5, 5)) in counted.counted) is not bool(excluded)
        starts = [local(2027, 5, 3, 0, 0) + dt.timedelta(minutes=30 * i) for i in range(4 * 48)]
        assert [counted.is_free(counsellor.pk, s, 60) for s in starts if not counted.day_is_full(counsellor.pk, s.date(), 2)] == [
            rows.is_free(counsellor.pk, s, 60) for s in starts if not rows.day_is_full(counsellor.pk, s.date(), 2)
        ]
        # Asked against a higher limit than it was counted for, a full day is looked at row by row after all.
        days = [first + dt.timedelta(days=i) for i in range(5)]
        assert [counted.day_is_full(counsellor.pk, d, 3) for d in days] == [rows.day_is_full(counsellor.pk, d, 3) for d in days]
        assert [counted.is_free(counsellor.pk, s, 60) for s in starts] == [rows.is_free(counsellor.pk, s, 60) for s in starts]
