"""Conversations: plan, record as held or no-show, reschedule, cancel.

These keep the case's derived fields (held count, refusals of voluntary return, consecutive
no-shows, last contact, next planned) correct in the same transaction, because the escalation
and untraceable guards read them.

What follows a step is called here, in plain sight (decision 090): a planned conversation queues
its invitation, an outcome (held, no-show, cancelled) queues the planning of the next one, both
after commit. What follows the core's steps (a case opens, changes state, is reassigned) is in
:mod:`counselling.followups`.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import COUNSELLED_STATES, Case, CaseEvent, Playbook
from cases.selectors import access_case
from cases.services import propose_lose_contact, record_event
from cases.services.events import build_event
from counselling.backoff import conversation_freed
from counselling.models import Conversation
from counselling.scheduling import counsellor_is_free, interpreter_needed, lock_agendas
from offices.models import Office
from returnpath.actors import Actor, SystemActor, User, user_of
from returnpath.coalesced import Coalesced
from returnpath.errors import Conflict, DomainError


def _require_counsel(actor: Actor) -> None:
    if not isinstance(actor, SystemActor) and not actor.has_perm("cases.counsel_case"):
        raise DomainError(_("Only a counsellor or office manager may take this step."), code="forbidden")


def _lock_case(*, actor: Actor, case_id: int) -> Case:
    if isinstance(actor, SystemActor):  # the planner (Celery) acts for the service itself
        return Case.objects.select_related("person", "playbook", "office").select_for_update(of=("self",)).get(pk=case_id)
    return access_case(actor=actor, case_id=case_id, for_update=True)


def _lock_conversation(case: Case, conversation_id: int | None) -> Conversation:
    """The case's conversation, locked; None (a walk-in, nothing planned) is not found either."""
    conversation = (
        Conversation.objects.select_for_update().filter(pk=conversation_id, case=case).first() if conversation_id is not None else None
    )
    if conversation is None:
        raise DomainError(_("No such conversation on this case."), code="not_found")
    return conversation


# What a change of the case's planned conversation sets on the case (saved together).
NEXT_CONVERSATION_FIELDS = ("next_conversation_at", "planning_retry_at")


def refresh_next_conversation(case: Case) -> None:
    """The case's next planned conversation, after an outcome or a cancellation; the case may be
    planned at the next sweep whatever the planner found before (decision 123). Sets
    :data:`NEXT_CONVERSATION_FIELDS`."""
    case.next_conversation_at = (
        case.conversations.filter(status=Conversation.Status.PLANNED).values_list("planned_at", flat=True).first()
    )
    case.planning_retry_at = None


def conversation_planned_event(conversation: Conversation, *, actor: Actor) -> CaseEvent:
    """The CONVERSATION_PLANNED event (not saved): the same for a conversation planned by hand, by
    the planner for one case, or by the sweep for a batch (saved there with one bulk_create)."""
    office = conversation.office if conversation.office_id else None
    return build_event(
        case=conversation.case, actor=actor, kind=CaseEvent.Kind.CONVERSATION_PLANNED,
        data={"conversation": conversation.pk, "planned_at": conversation.planned_at.isoformat(), "mode": conversation.mode,
              "office": office.name if office else None, "intake": conversation.is_intake},
    )


def _invite_after_commit(conversation: Conversation) -> None:
    from counselling.tasks import enqueue, send_invitation

    transaction.on_commit(partial(enqueue, send_invitation, conversation_id=conversation.pk))


def _plan_intakes_task():
    from counselling.tasks import plan_next_conversations

    return plan_next_conversations


# The intakes of the cases this process opens, one message per few milliseconds (decision 124).
INTAKES = Coalesced(_plan_intakes_task, "case_ids", window=lambda: settings.RETURNPATH_INTAKE_BATCH_MS / 1000)


def plan_intake_after_commit(case: Case) -> None:
    """After commit, the planner plans the new case's intake: queued with the other intakes of
    this process's last few milliseconds as one message (the planning sweep is the safety net)."""
    transaction.on_commit(partial(INTAKES.add, case.pk))


def plan_next_after_commit(case: Case) -> None:
    """After commit, the planner plans the case's next conversation (it does nothing when one is
    planned meanwhile or the case left counselling; the planning sweep is the safety net)."""
    from counselling.tasks import enqueue, plan_next_conversation

    transaction.on_commit(partial(enqueue, plan_next_conversation, case_id=case.pk))


@transaction.atomic
def plan_conversation(
    *,
    actor: Actor,
    case_id: int,
    planned_at: dt.datetime,
    counsellor_id: int | None = None,
    office_id: int | None = None,
    mode: str = Conversation.Mode.OFFICE,
    duration_minutes: int | None = None,
    interpreter_language: str | None = None,
    is_intake: bool | None = None,
) -> Conversation:
    """Plan the case's next conversation. A case has at most one planned conversation."""
    _require_counsel(actor)
    case = _lock_case(actor=actor, case_id=case_id)
    counsellor_pk = counsellor_id or case.counsellor_id
    counsellor = (
        User.objects.select_related("staff_profile").filter(pk=counsellor_pk, is_active=True).first() if counsellor_pk is not None else None
    )
    office = Office.objects.filter(pk=office_id).first() if office_id else case.office
    errors = []
    if case.state not in COUNSELLED_STATES:
        errors.append(_("Conversations are only planned for open cases that are being counselled."))
    if counsellor is None:
        errors.append(_("Choose the counsellor for this conversation."))
    if planned_at is None or planned_at <= timezone.now():
        errors.append(_("A conversation is planned in the future."))
    if mode not in Conversation.Mode.values:
        errors.append(_("Choose how the conversation takes place."))
    if mode == Conversation.Mode.OFFICE and office is None:
        errors.append(_("Choose the office where the conversation takes place."))
    minutes = duration_minutes or Playbook.for_case(case).conversation_minutes
    if counsellor is not None:
        lock_agendas([counsellor.pk])  # overlapping starts are not caught by the unique constraint
    if counsellor is not None and planned_at is not None and not counsellor_is_free(counsellor_id=counsellor.pk, start=planned_at, minutes=minutes):
        errors.append(_("The counsellor already has a conversation at that time."))
    if case.conversations.filter(status=Conversation.Status.PLANNED).exists():
        errors.append(_("A conversation is already planned for this case: reschedule or cancel it instead."))
    if errors:
        raise DomainError(_("The conversation cannot be planned."), code="invalid_conversation", details=errors)
    assert counsellor is not None  # an error above otherwise
    if interpreter_language is None:
        interpreter_language = interpreter_needed(case.person.languages, counsellor)
    if is_intake is None:
        is_intake = case.held_conversations == 0
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                case=case, counsellor=counsellor, office=office if mode == Conversation.Mode.OFFICE else (office or case.office),
                mode=mode, planned_at=planned_at, duration_minutes=minutes,
                interpreter_language=interpreter_language, is_intake=is_intake,
            )
    except IntegrityError:
        raise Conflict(_("Someone else planned a conversation meanwhile. Reload the case."), code="conflict") from None
    case.next_conversation_at = planned_at
    case.planning_retry_at = None
    case.save(update_fields=[*NEXT_CONVERSATION_FIELDS, "updated_at"])
    conversation_planned_event(conversation, actor=actor).save(force_insert=True)
    _invite_after_commit(conversation)
    return conversation


@transaction.atomic
def record_held_conversation(
    *,
    actor: User,
    case_id: int,
    conversation_id: int | None,
    stance: str,
    mode: str | None = None,
    held_at: dt.datetime | None = None,
    interpreter_used: bool = False,
    discussed_legal_stay: bool = False,
    discussed_voluntary_return: bool = False,
    discussed_forced_return_risk: bool = False,
    notes: str = "",
    agreed_next_step: str = "",
) -> Conversation:
    """Log what happened in a conversation (the planned one, or an unplanned walk-in)."""
    _require_counsel(actor)
    case = _lock_case(actor=actor, case_id=case_id)
    errors = []
    if stance not in Conversation.Stance.values:
        errors.append(_("Record the person's stance on voluntary return."))
    if stance in (Conversation.Stance.AGREES, Conversation.Stance.REFUSES) and not discussed_voluntary_return:
        errors.append(_("The stance can only be agreement or refusal when voluntary return was discussed."))
    if mode is not None and mode not in Conversation.Mode.values:
        errors.append(_("Choose how the conversation took place."))
    if not case.is_open:
        errors.append(_("The case is closed."))
    now = timezone.now()
    if conversation_id:
        conversation = _lock_conversation(case, conversation_id)
        if not conversation.is_planned:
            errors.append(_("This conversation already has an outcome."))
        # The person may come earlier the same day; a conversation on a later day is not held yet.
        if timezone.localdate(conversation.planned_at) > timezone.localdate(now):
            errors.append(_("A conversation planned for a later day cannot be logged yet."))
    else:
        conversation = Conversation(case=case, counsellor=actor, office=case.office, planned_at=held_at or now)
        if held_at and held_at > now:
            errors.append(_("A conversation cannot be logged in the future."))
    if errors:
        raise DomainError(_("The conversation cannot be logged."), code="invalid_conversation", details=errors)

    conversation.status = Conversation.Status.HELD
    conversation.mode = mode or conversation.mode
    conversation.stance = stance
    conversation.interpreter_used = interpreter_used
    conversation.discussed_legal_stay = discussed_legal_stay
    conversation.discussed_voluntary_return = discussed_voluntary_return
    conversation.discussed_forced_return_risk = discussed_forced_return_risk
    conversation.notes = notes
    conversation.agreed_next_step = agreed_next_step
    conversation.outcome_recorded_at = now
    conversation.outcome_recorded_by = user_of(actor)
    conversation.save()

    contact_at = min(conversation.planned_at, now)
    case.held_conversations = F("held_conversations") + 1
    if discussed_voluntary_return and stance == Conversation.Stance.REFUSES:
        case.voluntary_return_refusals = F("voluntary_return_refusals") + 1
    if stance == Conversation.Stance.AGREES:
        case.voluntary_return_agreed_at = now
    elif stance == Conversation.Stance.REFUSES:  # the person's latest word counts: an agreement taken back
        case.voluntary_return_agreed_at = None
    case.consecutive_no_shows = 0
    case.lose_contact_proposed_at = None
    case.last_contact_at = max(filter(None, [case.last_contact_at, contact_at]))
    refresh_next_conversation(case)
    case.save(update_fields=[
        "held_conversations", "voluntary_return_refusals", "voluntary_return_agreed_at", "consecutive_no_shows",
        "lose_contact_proposed_at", "last_contact_at", *NEXT_CONVERSATION_FIELDS, "updated_at",
    ])
    case.refresh_from_db(fields=["held_conversations", "voluntary_return_refusals"])
    record_event(
        case=case, actor=actor, kind=CaseEvent.Kind.CONVERSATION_HELD, note=agreed_next_step,
        data={"conversation": conversation.pk, "stance": stance, "mode": conversation.mode},
    )
    plan_next_after_commit(case)
    return conversation


@transaction.atomic
def record_no_show(*, actor: Actor, case_id: int, conversation_id: int | None, note: str = "") -> Conversation:
    """The person did not come. Enough consecutive no-shows propose losing contact (a manager decides)."""
    _require_counsel(actor)
    case = _lock_case(actor=actor, case_id=case_id)
    conversation = _lock_conversation(case, conversation_id)
    errors = []
    if not conversation.is_planned:
        errors.append(_("This conversation already has an outcome."))
    if conversation.planned_at > timezone.now():
        errors.append(_("A no-show can only be recorded once the time of the conversation has passed."))
    if errors:
        raise DomainError(_("The no-show cannot be recorded."), code="invalid_conversation", details=errors)
    conversation.status = Conversation.Status.NO_SHOW
    conversation.notes = note
    conversation.outcome_recorded_at = timezone.now()
    conversation.outcome_recorded_by = user_of(actor)
    conversation.save(update_fields=["status", "notes", "outcome_recorded_at", "outcome_recorded_by"])
    case.consecutive_no_shows += 1
    refresh_next_conversation(case)
    case.save(update_fields=["consecutive_no_shows", *NEXT_CONVERSATION_FIELDS, "updated_at"])
    # The person did not come: that time is free for a stuck case of the region (decision 123).
    conversation_freed(office_id=conversation.office_id)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.CONVERSATION_NO_SHOW, note=note,
                 data={"conversation": conversation.pk, "consecutive": case.consecutive_no_shows})
    limit = Playbook.for_case(case).no_shows_before_lose_contact
    if case.consecutive_no_shows >= limit:
        propose_lose_contact(case=case, actor=actor, note=_("%(count)s consecutive no-shows.") % {"count": case.consecutive_no_shows})
    plan_next_after_commit(case)
    return conversation


@transaction.atomic
def cancel_conversation(*, actor: Actor, case_id: int, conversation_id: int, reason: str) -> Conversation:
    _require_counsel(actor)
    case = _lock_case(actor=actor, case_id=case_id)
    conversation = _lock_conversation(case, conversation_id)
    errors = []
    if not conversation.is_planned:
        errors.append(_("Only a planned conversation can be cancelled."))
    if not reason.strip():
        errors.append(_("Give the reason for cancelling."))
    if errors:
        raise DomainError(_("The conversation cannot be cancelled."), code="invalid_conversation", details=errors)
    _cancel(case=case, conversation=conversation, actor=actor, reason=reason)
    plan_next_after_commit(case)
    return conversation


def _cancel(*, case: Case, conversation: Conversation, actor: Actor, reason: str) -> None:
    conversation.status = Conversation.Status.CANCELLED
    conversation.cancel_reason = reason
    conversation.outcome_recorded_at = timezone.now()
    conversation.outcome_recorded_by = user_of(actor)
    conversation.save(update_fields=["status", "cancel_reason", "outcome_recorded_at", "outcome_recorded_by"])
    refresh_next_conversation(case)
    case.save(update_fields=[*NEXT_CONVERSATION_FIELDS, "updated_at"])
    # Its time is free for a stuck case of the region, at the next sweep (decision 123).
    conversation_freed(office_id=conversation.office_id)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.CONVERSATION_CANCELLED, note=reason,
                 data={"conversation": conversation.pk})


@transaction.atomic
def reschedule_conversation(
    *, actor: Actor, case_id: int, conversation_id: int, planned_at: dt.datetime, reason: str,
    counsellor_id: int | None = None, office_id: int | None = None, mode: str | None = None,
) -> Conversation:
    """Move a planned conversation: the old row is kept as rescheduled, a new one is planned."""
    _require_counsel(actor)
    case = _lock_case(actor=actor, case_id=case_id)
    old = _lock_conversation(case, conversation_id)
    errors = []
    if not old.is_planned:
        errors.append(_("Only a planned conversation can be rescheduled."))
    if not reason.strip():
        errors.append(_("Give the reason for rescheduling."))
    if errors:
        raise DomainError(_("The conversation cannot be rescheduled."), code="invalid_conversation", details=errors)
    old.status = Conversation.Status.RESCHEDULED
    old.cancel_reason = reason
    old.outcome_recorded_at = timezone.now()
    old.outcome_recorded_by = user_of(actor)
    old.save(update_fields=["status", "cancel_reason", "outcome_recorded_at", "outcome_recorded_by"])
    conversation_freed(office_id=old.office_id)  # the old time is free (decision 123)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.CONVERSATION_RESCHEDULED, note=reason,
                 data={"conversation": old.pk})
    return plan_conversation(
        actor=actor, case_id=case.pk, planned_at=planned_at,
        counsellor_id=counsellor_id or old.counsellor_id, office_id=office_id or old.office_id,
        mode=mode or old.mode, duration_minutes=old.duration_minutes, is_intake=old.is_intake,
    )


@transaction.atomic
def log_conversation_and_plan_next(
    *,
    actor: User,
    case_id: int,
    conversation_id: int | None,
    no_show: bool,
    outcome: dict,
    held_at: dt.datetime | None = None,
    next_conversation: dict | None = None,
) -> Conversation | None:
    """The counsellor's one step: what happened, and when we meet next (all or nothing).

    ``outcome`` holds the arguments of :func:`record_held_conversation` (or ``notes`` for a
    no-show); ``next_conversation`` those of :func:`plan_conversation`. When the planner already
    planned the next conversation meanwhile, it is moved to what the counsellor chose. Returns
    the next planned conversation, if any.
    """
    if no_show:
        record_no_show(actor=actor, case_id=case_id, conversation_id=conversation_id, note=outcome.get("notes", ""))
    else:
        record_held_conversation(actor=actor, case_id=case_id, conversation_id=conversation_id, held_at=held_at, **outcome)
    if next_conversation is None:
        return None
    if not Case.objects.filter(pk=case_id, state__in=COUNSELLED_STATES).exists():
        return None
    planned = Conversation.objects.filter(case_id=case_id, status=Conversation.Status.PLANNED).first()
    if planned is None:
        return plan_conversation(actor=actor, case_id=case_id, **next_conversation)
    unchanged = (
        planned.planned_at == next_conversation["planned_at"]
        and planned.mode == next_conversation["mode"]
        and next_conversation.get("office_id") in (None, planned.office_id)
        and next_conversation.get("counsellor_id") in (None, planned.counsellor_id)
    )
    if unchanged:
        return planned
    return reschedule_conversation(
        actor=actor, case_id=case_id, conversation_id=planned.pk, planned_at=next_conversation["planned_at"],
        reason=_("Adjusted by the counsellor when logging the previous conversation."),
        counsellor_id=next_conversation.get("counsellor_id"), office_id=next_conversation.get("office_id"),
        mode=next_conversation["mode"],
    )


def hand_over_planned_conversation(*, case: Case, actor: Actor, office: Office | None, counsellor: User | None) -> None:
    """A reassigned case's planned conversation goes with it (follows the core's ``CaseAssigned``).

    The new counsellor takes it over when free at that time and the place still fits; otherwise
    it is cancelled with the reason, and the planner plans a new one with the new counsellor
    after commit. Never a conversation left with someone who no longer follows the case.
    """
    if counsellor is None:
        return
    planned = Conversation.objects.select_for_update().filter(case=case, status=Conversation.Status.PLANNED).first()
    if planned is None or planned.counsellor_id == counsellor.pk:
        return
    same_place = planned.mode != Conversation.Mode.OFFICE or office is None or planned.office_id == office.pk
    if same_place and counsellor_is_free(counsellor_id=counsellor.pk, start=planned.planned_at, minutes=planned.duration_minutes):
        before = planned.counsellor
        planned.counsellor = counsellor
        planned.interpreter_language = interpreter_needed(case.person.languages, counsellor)
        planned.save(update_fields=["counsellor", "interpreter_language"])
        conversation_freed(office_id=planned.office_id)  # the previous counsellor's time is free (decision 123)
        record_event(
            case=case, actor=actor, kind=CaseEvent.Kind.CONVERSATION_RESCHEDULED,
            note=_("Handed over to the new counsellor."),
            data={"conversation": planned.pk, "from": before.get_full_name() or before.get_username(),
                  "to": counsellor.get_full_name() or counsellor.get_username()},
        )
        return
    _cancel(case=case, conversation=planned, actor=actor,
            reason=_("The case was reassigned: a new conversation is planned with the new counsellor."))
    plan_next_after_commit(case)


def cancel_planned_conversations(*, case: Case, actor: Actor) -> None:
    """A case that ends or becomes untraceable keeps no planned conversation (follows the core's
    ``StateChanged`` out of counselling)."""
    for conversation in Conversation.objects.select_for_update().filter(case=case, status=Conversation.Status.PLANNED):
        _cancel(case=case, conversation=conversation, actor=actor,
                reason=_("The case moved to “%(state)s”.") % {"state": case.get_state_display()})
