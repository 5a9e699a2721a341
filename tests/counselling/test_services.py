"""Conversation services keep the case's derived fields right (the guards read them) — DESIGN §3, §4."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services as cases
from cases.models import Case, CaseEvent, State
from counselling import services
from counselling.models import Conversation
from returnpath.errors import DomainError
from tests import factories as f

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def later(days=2, hour=10):
    """A future moment at a round hour (local time)."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def past_planned(case, hours_ago=2, **kw):
    return f.ConversationFactory(case=case, planned_at=timezone.now() - hours_ago * HOUR, **kw)


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- held conversations ----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stance", "discussed", "refusals", "agreed"),
    [
        ("refuses", True, 1, False),
        ("considering", True, 0, False),
        ("agrees", True, 0, True),
        ("not_discussed", False, 0, False),
        ("considering", False, 0, False),
    ],
)
def test_a_held_conversation_updates_the_case(stance, discussed, refusals, agreed, case, counsellor):
    Case.objects.filter(pk=case.pk).update(consecutive_no_shows=1, lose_contact_proposed_at=timezone.now(),
                                           last_contact_at=timezone.now() - 30 * DAY)
    conversation = past_planned(case)

    held = services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk, stance=stance,
                                             discussed_voluntary_return=discussed, notes="Options explained.",
                                             agreed_next_step="Bring passport.")

    assert held.pk == conversation.pk and held.status == Conversation.Status.HELD and held.stance == stance
    assert held.outcome_recorded_by == counsellor and held.outcome_recorded_at is not None
    stored = fresh(case)
    assert stored.held_conversations == 1
    assert stored.voluntary_return_refusals == refusals
    assert (stored.voluntary_return_agreed_at is not None) is agreed
    assert stored.consecutive_no_shows == 0 and stored.lose_contact_proposed_at is None
    assert stored.last_contact_at == conversation.planned_at
    assert stored.next_conversation_at is None
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONVERSATION_HELD)
    assert event.data["stance"] == stance and event.note == "Bring passport."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stance", "discussed", "error"),
    [
        ("refuses", False, "The stance can only be agreement or refusal when voluntary return was discussed."),
        ("agrees", False, "The stance can only be agreement or refusal when voluntary return was discussed."),
        ("", True, "Record the person's stance on voluntary return."),
        ("maybe", True, "Record the person's stance on voluntary return."),
    ],
)
def test_refusal_and_agreement_need_voluntary_return_discussed(stance, discussed, error, case, counsellor):
    conversation = past_planned(case)
    with pytest.raises(DomainError) as refused:
        services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk, stance=stance,
                                          discussed_voluntary_return=discussed)
    assert refused.value.details == [error]
    assert fresh(case).held_conversations == 0
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.PLANNED


@pytest.mark.django_db
def test_counts_add_up_over_several_conversations(case, counsellor):
    for stance, discussed in [("refuses", True), ("considering", True), ("refuses", True), ("not_discussed", False)]:
        services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case).pk,
                                          stance=stance, discussed_voluntary_return=discussed)
    stored = fresh(case)
    assert (stored.held_conversations, stored.voluntary_return_refusals) == (4, 2)


@pytest.mark.django_db
def test_a_walk_in_is_logged_without_a_planned_conversation(case, counsellor, office):
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later())
    held_at = timezone.now() - 3 * HOUR
    walk_in = services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance="considering",
                                                discussed_voluntary_return=True, held_at=held_at)
    assert walk_in.pk != planned.pk and walk_in.counsellor == counsellor and walk_in.office == office
    stored = fresh(case)
    assert stored.last_contact_at == held_at
    assert stored.next_conversation_at == planned.planned_at  # the planned one still stands
    with pytest.raises(DomainError) as refused:
        services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance="not_discussed",
                                          held_at=timezone.now() + HOUR)
    assert refused.value.details == ["A conversation cannot be logged in the future."]


@pytest.mark.django_db
def test_a_held_conversation_cannot_be_logged_twice_or_ahead_of_its_day(case, counsellor):
    tomorrow = f.ConversationFactory(case=case, planned_at=later(days=1))
    with pytest.raises(DomainError) as refused:
        services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=tomorrow.pk, stance="not_discussed")
    assert refused.value.details == ["A conversation planned for a later day cannot be logged yet."]
    tomorrow.delete()

    conversation = past_planned(case)
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk, stance="not_discussed")
    with pytest.raises(DomainError) as refused:
        services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk, stance="not_discussed")
    assert refused.value.details == ["This conversation already has an outcome."]
    assert fresh(case).held_conversations == 1


@pytest.mark.django_db
def test_nothing_is_logged_on_a_closed_case_or_by_a_coordinator(office, counsellor, coordinator):
    closed = f.CaseFactory(office=office, counsellor=counsellor, state="closed")
    with pytest.raises(DomainError) as refused:
        services.record_held_conversation(actor=counsellor, case_id=closed.pk, conversation_id=None, stance="not_discussed")
    assert refused.value.details == ["The case is closed."]
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    with pytest.raises(DomainError) as refused:
        services.record_held_conversation(actor=coordinator, case_id=case.pk, conversation_id=None, stance="not_discussed")
    assert refused.value.code == "forbidden"


# --- no-shows --------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("group", "threshold"), [("individual", 2), ("family", 2), ("open_return_place", 1), ("dublin", 1)])
def test_no_shows_propose_losing_contact_at_the_playbooks_threshold(group, threshold, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", target_group=group)
    for count in range(1, threshold + 2):
        services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case).pk, note="Did not come.")
        stored = fresh(case)
        assert stored.consecutive_no_shows == count
        assert (stored.lose_contact_proposed_at is not None) is (count >= threshold)
        assert stored.state == State.ORIENTATION  # a manager decides
    # Proposed once, not at every further no-show.
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.LOSE_CONTACT_PROPOSED).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CONVERSATION_NO_SHOW).count() == threshold + 1


@pytest.mark.django_db
def test_a_held_conversation_resets_the_no_shows(case, counsellor):
    for _ in range(2):
        services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case).pk)
    assert fresh(case).lose_contact_proposed_at is not None
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case).pk, stance="not_discussed")
    stored = fresh(case)
    assert (stored.consecutive_no_shows, stored.lose_contact_proposed_at) == (0, None)
    services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case).pk)
    assert fresh(case).consecutive_no_shows == 1 and fresh(case).lose_contact_proposed_at is None


@pytest.mark.django_db
def test_a_no_show_only_after_the_time_and_only_once(case, counsellor):
    upcoming = f.ConversationFactory(case=case, planned_at=timezone.now() + HOUR)
    with pytest.raises(DomainError) as refused:
        services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=upcoming.pk)
    assert refused.value.details == ["A no-show can only be recorded once the time of the conversation has passed."]
    upcoming.delete()
    missed = past_planned(case)
    services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=missed.pk)
    with pytest.raises(DomainError):
        services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=missed.pk)
    assert fresh(case).consecutive_no_shows == 1


# --- planning: one planned conversation per case, no double booking -------------------------

@pytest.mark.django_db
def test_the_database_allows_one_planned_conversation_per_case(case):
    f.ConversationFactory(case=case, planned_at=later(hour=10))
    with pytest.raises(IntegrityError), transaction.atomic():
        f.ConversationFactory(case=case, planned_at=later(hour=14))
    # Any number of past ones.
    f.ConversationFactory(case=case, planned_at=later(hour=15), status=Conversation.Status.CANCELLED)
    f.ConversationFactory(case=case, planned_at=later(hour=16), status=Conversation.Status.RESCHEDULED)
    assert case.conversations.filter(status=Conversation.Status.PLANNED).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_double_booking_a_counsellor(office, counsellor):
    first = f.CaseFactory(office=office, counsellor=counsellor)
    second = f.CaseFactory(office=office, counsellor=counsellor)
    f.ConversationFactory(case=first, planned_at=later())
    with pytest.raises(IntegrityError), transaction.atomic():
        f.ConversationFactory(case=second, planned_at=later())


@pytest.mark.django_db
def test_plan_a_conversation(case, counsellor, office):
    at = later()
    conversation = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=at)
    assert (conversation.status, conversation.counsellor, conversation.office, conversation.planned_at) == (
        Conversation.Status.PLANNED, counsellor, office, at)
    assert conversation.is_intake  # nothing held yet
    assert conversation.duration_minutes == case.playbook.conversation_minutes
    assert fresh(case).next_conversation_at == at
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONVERSATION_PLANNED).data["conversation"] == conversation.pk


@pytest.mark.django_db
def test_the_service_refuses_a_second_planned_conversation_clearly(case, counsellor):
    services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(hour=10))
    with pytest.raises(DomainError) as refused:
        services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(hour=14))
    assert refused.value.details == ["A conversation is already planned for this case: reschedule or cancel it instead."]
    assert case.conversations.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("offset_minutes", [0, 30, -30, 59])
def test_a_counsellor_is_not_double_booked(offset_minutes, office, counsellor):
    first = f.CaseFactory(office=office, counsellor=counsellor)
    second = f.CaseFactory(office=office, counsellor=counsellor)
    services.plan_conversation(actor=counsellor, case_id=first.pk, planned_at=later(hour=10))
    with pytest.raises(DomainError) as refused:
        services.plan_conversation(actor=counsellor, case_id=second.pk, planned_at=later(hour=10) + dt.timedelta(minutes=offset_minutes))
    assert refused.value.details == ["The counsellor already has a conversation at that time."]


@pytest.mark.django_db
def test_back_to_back_conversations_are_fine(office, counsellor):
    first = f.CaseFactory(office=office, counsellor=counsellor)
    second = f.CaseFactory(office=office, counsellor=counsellor)
    one = services.plan_conversation(actor=counsellor, case_id=first.pk, planned_at=later(hour=10))
    # The second starts the minute the first ends: not a double booking.
    ends = one.planned_at + dt.timedelta(minutes=one.duration_minutes)
    two = services.plan_conversation(actor=counsellor, case_id=second.pk, planned_at=ends)
    booked = Conversation.objects.filter(counsellor=counsellor, status=Conversation.Status.PLANNED).order_by("planned_at")
    assert [(c.pk, c.case_id, c.planned_at) for c in booked] == [(one.pk, first.pk, later(hour=10)), (two.pk, second.pk, ends)]
    assert (fresh(first).next_conversation_at, fresh(second).next_conversation_at) == (later(hour=10), ends)


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["untraceable", "closed", "departed", "removed", "legal_stay_granted"])
def test_conversations_are_planned_only_for_counselled_cases(state, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state)
    with pytest.raises(DomainError) as refused:
        services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later())
    assert refused.value.details == ["Conversations are only planned for open cases that are being counselled."]


@pytest.mark.django_db
def test_planning_problems_are_listed_together(office, counsellor):
    case = f.CaseFactory(office=None, counsellor=None, state="closed")
    Case.objects.filter(pk=case.pk).update(office=office)
    with pytest.raises(DomainError) as refused:
        services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=timezone.now() - HOUR, mode="telepathy")
    assert sorted(refused.value.details) == sorted([
        "Conversations are only planned for open cases that are being counselled.",
        "Choose the counsellor for this conversation.",
        "A conversation is planned in the future.",
        "Choose how the conversation takes place.",
    ])


@pytest.mark.django_db
def test_an_interpreter_when_the_counsellor_speaks_none_of_the_persons_languages(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(languages=["ti", "ar"]))
    assert services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later()).interpreter_language == "ti"
    other = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(languages=["ar", "fr"]))
    assert services.plan_conversation(actor=counsellor, case_id=other.pk, planned_at=later(hour=14)).interpreter_language == ""


# --- reschedule and cancel -------------------------------------------------------------------

@pytest.mark.django_db
def test_reschedule_keeps_the_old_row(case, counsellor):
    old = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(hour=10))
    new = services.reschedule_conversation(actor=counsellor, case_id=case.pk, conversation_id=old.pk, planned_at=later(days=3, hour=11),
                                           reason="The person has a hospital appointment.")
    old.refresh_from_db()
    assert old.status == Conversation.Status.RESCHEDULED and old.cancel_reason == "The person has a hospital appointment."
    assert new.pk != old.pk and new.status == Conversation.Status.PLANNED and new.planned_at == later(days=3, hour=11)
    assert (new.counsellor, new.office, new.mode, new.is_intake) == (old.counsellor, old.office, old.mode, old.is_intake)
    assert fresh(case).next_conversation_at == new.planned_at
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [CaseEvent.Kind.CONVERSATION_RESCHEDULED, CaseEvent.Kind.CONVERSATION_PLANNED]


@pytest.mark.django_db
def test_reschedule_needs_a_reason_and_a_planned_conversation(case, counsellor):
    old = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later())
    with pytest.raises(DomainError) as refused:
        services.reschedule_conversation(actor=counsellor, case_id=case.pk, conversation_id=old.pk, planned_at=later(days=3), reason=" ")
    assert refused.value.details == ["Give the reason for rescheduling."]
    with pytest.raises(DomainError):  # into the past: nothing changes
        services.reschedule_conversation(actor=counsellor, case_id=case.pk, conversation_id=old.pk,
                                         planned_at=timezone.now() - HOUR, reason="Moved.")
    assert Conversation.objects.get(pk=old.pk).status == Conversation.Status.PLANNED
    assert case.conversations.count() == 1


@pytest.mark.django_db
def test_cancel_needs_a_reason(case, counsellor):
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later())
    with pytest.raises(DomainError) as refused:
        services.cancel_conversation(actor=counsellor, case_id=case.pk, conversation_id=planned.pk, reason="")
    assert refused.value.details == ["Give the reason for cancelling."]
    assert fresh(case).next_conversation_at == planned.planned_at

    services.cancel_conversation(actor=counsellor, case_id=case.pk, conversation_id=planned.pk, reason="Office closed (strike).")
    planned.refresh_from_db()
    assert planned.status == Conversation.Status.CANCELLED and planned.cancel_reason == "Office closed (strike)."
    assert fresh(case).next_conversation_at is None
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONVERSATION_CANCELLED).note == "Office closed (strike)."
    with pytest.raises(DomainError) as refused:
        services.cancel_conversation(actor=counsellor, case_id=case.pk, conversation_id=planned.pk, reason="Again.")
    assert refused.value.details == ["Only a planned conversation can be cancelled."]


@pytest.mark.django_db
def test_a_conversation_of_another_case_is_not_found(office, counsellor):
    mine, other = f.CaseFactory(office=office, counsellor=counsellor), f.CaseFactory(office=office, counsellor=counsellor)
    planned = services.plan_conversation(actor=counsellor, case_id=other.pk, planned_at=later())
    with pytest.raises(DomainError) as refused:
        services.cancel_conversation(actor=counsellor, case_id=mine.pk, conversation_id=planned.pk, reason="x")
    assert refused.value.code == "not_found"


# --- the trajectory ends counselling: no planned conversation is left behind -----------------

END_OF_COUNSELLING = [
    ("close", "orientation", {}, "closed"),
    ("lose_contact", "orientation", {"consecutive_no_shows": 2}, "untraceable"),
    ("confirm_departure", "voluntary_return", {}, "departed"),
    ("confirm_removal", "forced_return", {}, "removed"),
    ("grant_legal_stay", "legal_stay_review", {"granted_procedures": 1, "granted_routes_to_stay": 1}, "legal_stay_granted"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "fields", "target"), END_OF_COUNSELLING, ids=[r[3] for r in END_OF_COUNSELLING])
def test_a_case_leaving_counselling_cancels_its_planned_conversation(name, source, fields, target, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=source, **fields)
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later())
    today = timezone.localdate()
    given = {
        "close": {"reason": "other_eu_state", "note": "Left for Germany."},
        "confirm_departure": {"departed_on": today, "evidence": "partner_confirmation"},
        "confirm_removal": {"removed_on": today},
    }.get(name, {})

    cases.take_transition(actor=manager, case_id=case.pk, name=name, **given)

    planned.refresh_from_db()
    assert planned.status == Conversation.Status.CANCELLED
    assert planned.cancel_reason == f"The case moved to “{State(target).label}”."
    stored = fresh(case)
    assert stored.state == target and stored.next_conversation_at is None
    assert not stored.conversations.filter(status=Conversation.Status.PLANNED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "source", "fields", "given"),
    [
        ("start_orientation", "registered", {"held_conversations": 1}, {}),
        ("agree_voluntary_return", "orientation", {"voluntary_return_agreed_at": timezone.now()}, {}),
        ("open_legal_stay_review", "forced_return", {"pending_procedures": 1}, {}),
    ],
)
def test_a_case_staying_in_counselling_keeps_its_planned_conversation(name, source, fields, given, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=source, **fields)
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later())
    cases.take_transition(actor=manager, case_id=case.pk, name=name, **given)
    planned.refresh_from_db()
    assert planned.status == Conversation.Status.PLANNED
    assert fresh(case).next_conversation_at == planned.planned_at


@pytest.mark.django_db
def test_a_later_refusal_withdraws_an_earlier_agreement(case, counsellor):
    """The guard of agree_voluntary_return reads the person's latest word, not one they took back."""
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case, hours_ago=30).pk,
                                      stance="agrees", discussed_voluntary_return=True)
    assert fresh(case).voluntary_return_agreed_at is not None
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=past_planned(case).pk,
                                      stance="refuses", discussed_voluntary_return=True)
    stored = fresh(case)
    assert stored.voluntary_return_agreed_at is None and stored.voluntary_return_refusals == 1
    # Considering, or not discussing it, leaves the agreement as it is.
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance="agrees",
                                      discussed_voluntary_return=True, held_at=timezone.now() - HOUR)
    services.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance="considering",
                                      discussed_voluntary_return=True, held_at=timezone.now() - HOUR)
    assert fresh(case).voluntary_return_agreed_at is not None
