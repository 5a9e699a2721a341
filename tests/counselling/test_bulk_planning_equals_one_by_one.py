"""The set-based planning sweep writes what planning one case at a time writes (decision 111).

The same starting state is planned twice — by the sweep in one batch, and one case at a time —
each inside a savepoint that is rolled back, and every written row is compared: the
conversations (time, counsellor, office, mode, interpreter, intake), the cases' next
conversation and update time, the CONVERSATION_PLANNED events and, after the message sweep, the
invitations. Time is frozen so both ways see the same "now".
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cases import legal
from cases.models import Case, CaseEvent
from counselling import sweeps
from counselling.models import Conversation, OutboundMessage
from counselling.scheduling import BRUSSELS, Agenda, local_datetime, min_lead, plan_next_for_case
from counselling.sms import LocmemSmsBackend
from offices.models import Office, StaffProfile
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(monkeypatch):
    """One "now" for both ways (the planner's earliest slot and every timestamp follow it)."""
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    LocmemSmsBackend.outbox = []
    with override_settings(RETURNPATH_SMS_BACKEND="counselling.sms.LocmemSmsBackend",
                           EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        yield now


def _reachable(case: Case, languages=("fr",)) -> Case:
    case.person.languages = list(languages)
    case.person.email = f"p{case.pk}@example.org"
    case.person.phone = "+32470000000"
    case.person.save()
    return case


def _first_working_day_after(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not legal.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def scenario(office, counsellor, *, full_office: bool) -> dict:
    """Cases of one counsellor with little room, a held conversation taking a slot, a case after a
    held conversation (cadence, not intake), a case already planned; with ``full_office``, a
    colleague with no room at all whose cases go to the nearest office of the region, where that
    office's own counsellor plans cases of their own in the same batch, and a case no office can take."""
    office.latitude, office.longitude = 50.846, 4.352
    office.save()
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=2)
    now = timezone.now()
    cases = [_reachable(f.CaseFactory(office=office, counsellor=counsellor)) for _ in range(5)]
    # A conversation held ahead of its time still takes the counsellor's first morning slot.
    first_day = _first_working_day_after(timezone.localtime(now + min_lead(), BRUSSELS).date())
    taken, held_at = f.CaseFactory(office=office, counsellor=counsellor), local_datetime(first_day, dt.time(9))
    f.ConversationFactory(case=taken, planned_at=held_at, status=Conversation.Status.HELD,
                          stance=Conversation.Stance.CONSIDERING)
    f.ConversationFactory(case=taken, planned_at=local_datetime(first_day + dt.timedelta(days=14), dt.time(10)))
    # After a held conversation: the cadence, not the intake.
    after_held = _reachable(f.CaseFactory(office=office, counsellor=counsellor))
    f.ConversationFactory(case=after_held, planned_at=now - dt.timedelta(days=1), status=Conversation.Status.HELD,
                          stance=Conversation.Stance.CONSIDERING)
    Case.objects.filter(pk=after_held.pk).update(held_conversations=1, last_contact_at=now - dt.timedelta(days=1))
    f.ConversationFactory(case=f.CaseFactory(office=office, counsellor=counsellor))  # planned already: not due
    cases.append(after_held)
    if full_office:
        colleague = f.staff(username="full.colleague", office=office, languages=("fr",))
        StaffProfile.objects.filter(user=colleague).update(conversations_per_day=0)
        near = f.OfficeFactory(code="BXL-NEAR", name="near", province="brussels", latitude=50.85, longitude=4.36, languages=["fr", "ar"])
        f.add_weekday_hours(near)
        near_counsellor = f.staff(username="near.counsellor", office=near, languages=("fr",))
        StaffProfile.objects.filter(user=near_counsellor).update(conversations_per_day=2)
        cases += [_reachable(f.CaseFactory(office=office, counsellor=colleague)) for _ in range(3)]
        cases += [_reachable(f.CaseFactory(office=near, counsellor=near_counsellor)) for _ in range(2)]
        # Tigrinya: no office of the region speaks it (the home office does not count: it is full).
        cases.append(_reachable(f.CaseFactory(office=office, counsellor=colleague), languages=("ti",)))
        # An interpreter: the person's language is the near office's, not its counsellor's.
        cases.append(_reachable(f.CaseFactory(office=office, counsellor=colleague), languages=("ar",)))
    return {"cases": cases, "held_at": held_at}


def _unsigned(text: str) -> str:
    """The message without its reply link's signature (signed per message row, with a random salt)."""
    return re.sub(r"/reach/\S+", "/reach/<link>", text)


def snapshot() -> dict:
    """Every row the planning and the message sweep write, by case (ids of new rows left out)."""
    case_of = dict(Conversation.objects.values_list("pk", "case_id"))
    conversations = sorted(
        (c.case_id, c.counsellor_id, c.office_id, c.mode, c.planned_at, c.duration_minutes, c.is_intake,
         c.interpreter_language, c.status, c.invitation_sent_at)
        for c in Conversation.objects.all()
    )
    cases = sorted(Case.objects.values_list("pk", "next_conversation_at", "updated_at"))
    events = sorted(
        (e.case_id, e.kind, e.actor_id, e.actor_label, e.transition, e.from_state, e.to_state, e.note,
         sorted({**e.data, "conversation": case_of.get(e.data.get("conversation"))}.items()))
        for e in CaseEvent.objects.filter(kind=CaseEvent.Kind.CONVERSATION_PLANNED)
    )
    messages = sorted(
        (case_of[m.conversation_id], m.kind, m.channel, m.language, m.to, m.subject, _unsigned(m.body), m.status)
        for m in OutboundMessage.objects.all()
    )
    return {"conversations": conversations, "cases": cases, "events": events, "messages": messages,
            "mail": sorted((m.to[0], m.subject, _unsigned(m.body)) for m in mail.outbox),
            "sms": sorted((m["to"], _unsigned(m["body"])) for m in LocmemSmsBackend.outbox)}


def planned_with(way: Callable[[], object]) -> dict:
    """Plan with ``way`` and send the invitations, snapshot, and roll back to the starting state."""
    mail.outbox, LocmemSmsBackend.outbox[:] = [], []
    with transaction.atomic():
        way()
        sweeps.send_due_messages()
        rows = snapshot()
        transaction.set_rollback(True)
    return rows


def one_batch() -> None:
    assert sweeps.plan_missing_conversations()["examined"] > 1


def batches_of_one() -> None:
    with override_settings(RETURNPATH_SWEEP_BATCH_SIZE=1):
        sweeps.plan_missing_conversations()


def test_one_batch_plans_what_batches_of_one_case_plan_with_full_agendas_and_overflow(frozen, office, counsellor):
    built = scenario(office, counsellor, full_office=True)
    bulk, one_by_one = planned_with(one_batch), planned_with(batches_of_one)
    assert bulk == one_by_one
    # The scenario did what it says: overflow (with an interpreter), one case no office can take,
    # the held conversation's time kept free.
    planned = [row for row in bulk["conversations"] if row[8] == Conversation.Status.PLANNED]
    near = Office.objects.get(code="BXL-NEAR")
    assert {row[2] for row in planned} == {office.pk, near.pk}
    assert ("ar", near.pk) in {(row[7], row[2]) for row in planned}
    assert [pk for pk, at, _updated in bulk["cases"] if at is None] == [built["cases"][-2].pk]
    assert not any(row[1] == counsellor.pk and row[4] == built["held_at"] for row in planned)
    assert len(bulk["events"]) == len(built["cases"]) - 1 and len(bulk["messages"]) == 2 * len(bulk["events"])


def test_the_bulk_sweep_plans_what_the_per_case_service_plans(frozen, office, counsellor):
    """Without overflow (the per-case service does not look at other offices, decision 035)."""
    scenario(office, counsellor, full_office=False)
    bulk, service = planned_with(one_batch), planned_with(sweeps.plan_missing_one_by_one)
    assert bulk == service
    assert sum(1 for row in bulk["conversations"] if row[8] == Conversation.Status.PLANNED) == 8  # 6 new, 2 before
    assert len(bulk["events"]) == 6 and len(bulk["messages"]) == 2 * 6  # an e-mail and an SMS each


def test_a_conflict_in_the_bulk_insert_falls_back_to_the_per_case_service(office, counsellor, monkeypatch, caplog):
    """A conversation the batch's agenda did not see (planned outside the agenda lock): the batch's
    one INSERT fails as a whole in its savepoint, and each case goes through the per-case service."""
    by_hand = plan_next_for_case(case_id=f.CaseFactory(office=office, counsellor=counsellor).pk)
    f.CaseFactory.create_batch(2, office=office, counsellor=counsellor)
    real_add, blinded = Agenda.add, []

    def blind_once(agenda, counsellor_ids, *args, **kwargs):
        if not blinded:  # the batch's agenda: loaded, but without what was planned by hand
            blinded.append(True)
            agenda.loaded |= set(counsellor_ids)
            return None
        return real_add(agenda, counsellor_ids, *args, **kwargs)

    monkeypatch.setattr(Agenda, "add", blind_once)
    assert sweeps.plan_missing_conversations()["planned"] == 2
    assert "Bulk planning conflicted" in caplog.text
    planned = sorted(Conversation.objects.filter(status=Conversation.Status.PLANNED), key=lambda c: c.planned_at)
    assert len(planned) == 3 and planned[0].pk == by_hand.pk
    assert all(a.planned_at + dt.timedelta(minutes=a.duration_minutes) <= b.planned_at for a, b in itertools.pairwise(planned))
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CONVERSATION_PLANNED).count() == 3
    assert all(c.case.next_conversation_at == c.planned_at for c in planned)
