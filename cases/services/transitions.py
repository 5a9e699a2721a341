"""The services around each trajectory step: lock, permission, guards, transition, save, event.

``transition_refusals`` runs *every* guard (django-fsm stops at the first) plus the checks on
what the person taking the step must provide, so a refusal lists all reasons at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from cases import followups
from cases.guards import refusal_text
from cases.models import TERMINAL_STATES, Case, CaseEvent, OrderToLeave, State
from cases.selectors import access_case
from cases.services.events import actor_label, record_event
from cases.services.load import load_key, shift_load
from cases.services.placements import end_placement_when_case_ends
from cases.steps import LOSE_CONTACT_STATES, STEPS
from returnpath.actors import SYSTEM, Actor, SystemActor, User, is_system, reporter_of
from returnpath.errors import Conflict, DomainError, TransitionRefused


@dataclass
class TransitionCheck:
    """One step as a user sees it on the case page: allowed, or why not."""

    name: str
    label: str
    target: str
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    inputs: tuple[str, ...] = ()
    permitted: bool = True
    form: Any = None  # the case page's form for the step's inputs (set by the view)


def transition_refusals(case: Case, name: str, actor: Actor) -> list[str]:
    """Every reason why ``actor`` may not take step ``name`` on ``case`` now (empty: allowed)."""
    step = STEPS.get(name)
    if step is None:
        return [_("Unknown step.")]
    if case.state not in step.sources:
        return [
            _("“%(step)s” is not possible while the case is in “%(state)s”.")
            % {"step": step.label, "state": case.get_state_display()}
        ]
    reasons = []
    if not is_system(actor) and not step.permission(case, actor):
        # cases.steps declares the permission as a plain callable; cases.guards.permission sets its refusal.
        reasons.append(str(step.permission.refusal))
    for condition in step.guards:
        if not condition(case):
            reasons.append(refusal_text(condition, case))
    return reasons


def check_transitions(case: Case, actor: Actor) -> list[TransitionCheck]:
    """The steps possible from the case's state, each with whether this actor may take it now."""
    checks = []
    for step in STEPS.values():
        if case.state not in step.sources:
            continue
        reasons = transition_refusals(case, step.name, actor)
        checks.append(
            TransitionCheck(
                name=step.name,
                label=str(step.label),
                target=str(step.target),
                allowed=not reasons,
                reasons=reasons,
                inputs=step.inputs,
                permitted=step.permission(case, actor),
            )
        )
    return checks


def require_transition(case: Case, name: str, actor: Actor, *, input_errors: Sequence[str] = ()) -> None:
    reasons = transition_refusals(case, name, actor) + list(input_errors)
    if reasons:
        raise TransitionRefused(_("This step cannot be taken now."), details=reasons)


def _take(
    *,
    actor: Actor,
    case_id: int,
    name: str,
    expected_state: str | None = None,
    note: str = "",
    input_errors: Sequence[str] = (),
    data: dict | None = None,
    already_done=None,
    **kwargs,
) -> Case:
    case = _lock_for_system(case_id) if isinstance(actor, SystemActor) else access_case(actor=actor, case_id=case_id, for_update=True)
    # Under the lock: a retry of a step that already happened answers the same, changing nothing.
    if already_done is not None and already_done(case):
        return case
    if expected_state and case.state != expected_state:
        raise Conflict(
            _("Someone else changed this case meanwhile: it is now “%(state)s”. Check the case and try again.")
            % {"state": case.get_state_display()}
        )
    require_transition(case, name, actor, input_errors=input_errors)
    from_state, counted_for = case.state, load_key(case)
    getattr(case, name)(**kwargs)
    try:
        case.save()
    except ConcurrentTransition:
        # Only reachable without a row lock (SQLite): the UPDATE ... WHERE state=<loaded> hit nothing.
        raise Conflict(_("Someone else changed this case meanwhile. Reload the case and try again.")) from None
    shift_load(counted_for, load_key(case))
    if isinstance(actor, SystemActor):
        # The system acts (the law wins over the workflow): the event's actor is ReturnPath, and
        # the record says whose report set it off.
        data = {**(data or {}), "system": True, "reported_by": actor_label(actor.reported_by) if actor.reported_by is not None else ""}
    record_event(
        case=case, actor=actor, kind=CaseEvent.Kind.TRANSITION, transition=name,
        from_state=from_state, to_state=case.state, note=note, data=data,
    )
    if case.state in TERMINAL_STATES or case.state == State.UNTRACEABLE:
        end_placement_when_case_ends(case=case, actor=reporter_of(actor), on=case.removed_on or case.departed_on)
    followups.run(followups.StateChanged(case=case, actor=reporter_of(actor), from_state=from_state, to_state=case.state))
    return case


def _lock_for_system(case_id: int) -> Case:
    return Case.objects.select_related("person", "playbook").select_for_update(of=("self",)).get(pk=case_id)


def _required(value, message) -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [message]
    return []


def _not_before_the_order(case_id: int, day: dt.date | None, message) -> list[str]:
    """An outcome cannot predate the order it answers (checked after visibility in ``_take``)."""
    if day is None:
        return []
    first = OrderToLeave.objects.filter(case_id=case_id).aggregate(first=Min("notified_on"))["first"]
    if first and day < first:
        return [message % {"date": formats.date_format(first)}]
    return []


def _not_in_future(day: dt.date | None, message) -> list[str]:
    if day is not None and day > timezone.localdate():
        return [message]
    return []


@transaction.atomic
def start_orientation(*, actor: Actor, case_id: int, expected_state: str | None = None) -> Case:
    return _take(actor=actor, case_id=case_id, name="start_orientation", expected_state=expected_state)


@transaction.atomic
def open_legal_stay_review(*, actor: Actor, case_id: int, expected_state: str | None = None, note: str = "") -> Case:
    return _take(actor=actor, case_id=case_id, name="open_legal_stay_review", expected_state=expected_state, note=note)


@transaction.atomic
def resume_orientation(
    *, actor: Actor, case_id: int, new_departure_deadline: dt.date | None, expected_state: str | None = None
) -> Case:
    errors = _required(new_departure_deadline, _("Set the new departure deadline."))
    if new_departure_deadline and new_departure_deadline <= timezone.localdate():
        errors.append(_("The new departure deadline must be in the future."))
    return _take(
        actor=actor, case_id=case_id, name="resume_orientation", expected_state=expected_state, input_errors=errors,
        new_departure_deadline=new_departure_deadline,
        data={"new_departure_deadline": new_departure_deadline.isoformat() if new_departure_deadline else None},
    )


@transaction.atomic
def grant_legal_stay(*, actor: Actor, case_id: int, expected_state: str | None = None) -> Case:
    return _take(actor=actor, case_id=case_id, name="grant_legal_stay", expected_state=expected_state)


@transaction.atomic
def agree_voluntary_return(*, actor: Actor, case_id: int, expected_state: str | None = None) -> Case:
    return _take(actor=actor, case_id=case_id, name="agree_voluntary_return", expected_state=expected_state)


@transaction.atomic
def withdraw_voluntary_return(*, actor: Actor, case_id: int, reason: str, expected_state: str | None = None) -> Case:
    errors = _required(reason, _("Give the reason why voluntary return is withdrawn."))
    return _take(
        actor=actor, case_id=case_id, name="withdraw_voluntary_return", expected_state=expected_state,
        input_errors=errors, note=reason,
    )


@transaction.atomic
def confirm_departure(
    *,
    actor: Actor,
    case_id: int,
    departed_on: dt.date | None,
    evidence: str,
    destination_country: str = "",
    expected_state: str | None = None,
) -> Case:
    errors = _required(departed_on, _("Give the departure date."))
    errors += _not_in_future(departed_on, _("The departure date cannot be in the future."))
    errors += _not_before_the_order(case_id, departed_on, _("The departure date cannot be before the order was notified (%(date)s)."))
    if str(destination_country).upper() == "BE":
        errors.append(_("The destination cannot be Belgium: a departure leaves the territory."))
    if evidence not in Case.DepartureEvidence.values:
        errors.append(_("Choose the evidence of departure (boarding pass, border stamp or partner confirmation)."))
    return _take(
        actor=actor, case_id=case_id, name="confirm_departure", expected_state=expected_state, input_errors=errors,
        # A partner retrying after a timeout gets the same answer, not a refusal.
        already_done=lambda case: (
            case.state == State.DEPARTED and case.departed_on == departed_on and case.departure_evidence == evidence
        ),
        departed_on=departed_on, evidence=evidence, destination_country=destination_country,
        data={"departed_on": departed_on.isoformat() if departed_on else None, "evidence": evidence,
              "destination_country": str(destination_country)},
    )


@transaction.atomic
def escalate_to_forced_return(*, actor: Actor, case_id: int, motivation: str, expected_state: str | None = None) -> Case:
    errors = _required(motivation, _("A written motivation is required to escalate to forced return."))
    return _take(
        actor=actor, case_id=case_id, name="escalate_to_forced_return", expected_state=expected_state,
        input_errors=errors, note=motivation, motivation=motivation,
    )


@transaction.atomic
def confirm_removal(*, actor: Actor, case_id: int, removed_on: dt.date | None, expected_state: str | None = None) -> Case:
    errors = _required(removed_on, _("Give the removal date."))
    errors += _not_in_future(removed_on, _("The removal date cannot be in the future."))
    errors += _not_before_the_order(case_id, removed_on, _("The removal date cannot be before the order was notified (%(date)s)."))
    return _take(
        actor=actor, case_id=case_id, name="confirm_removal", expected_state=expected_state, input_errors=errors,
        removed_on=removed_on, data={"removed_on": removed_on.isoformat() if removed_on else None},
    )


@transaction.atomic
def lose_contact(*, actor: Actor, case_id: int, expected_state: str | None = None, note: str = "") -> Case:
    return _take(actor=actor, case_id=case_id, name="lose_contact", expected_state=expected_state, note=note)


@transaction.atomic
def re_establish_contact(*, actor: Actor, case_id: int, expected_state: str | None = None, note: str = "") -> Case:
    return _take(actor=actor, case_id=case_id, name="re_establish_contact", expected_state=expected_state, note=note)


@transaction.atomic
def close_case(*, actor: Actor, case_id: int, reason: str, note: str, expected_state: str | None = None) -> Case:
    errors = []
    if reason not in Case.CloseReason.values:
        errors.append(_("Choose a reason for closing from the list."))
    errors += _required(note, _("Explain in a few words why the case is closed."))
    errors += _close_reason_on_record(case_id, reason)
    return _take(
        actor=actor, case_id=case_id, name="close", expected_state=expected_state, input_errors=errors,
        note=note, data={"reason": reason}, reason=reason, close_note=note,
    )


def _close_reason_on_record(case_id: int, reason: str) -> list[str]:
    """An annulled order or a Dublin transfer closes a case only when the decision is on record
    (decision 010): what a granted decision means comes from ``cases.procedure_kinds``."""
    if reason not in (Case.CloseReason.ORDER_ANNULLED, Case.CloseReason.DUBLIN_TRANSFER):
        return []
    counts = Case.objects.filter(pk=case_id).values("granted_annulments", "granted_transfers").first() or {}
    if reason == Case.CloseReason.ORDER_ANNULLED and not counts.get("granted_annulments"):
        return [_("No granted annulment of the order is on record.")]
    if reason == Case.CloseReason.DUBLIN_TRANSFER and not counts.get("granted_transfers"):
        return [_("No accepted Dublin transfer is on record.")]
    return []


def take_transition(*, actor: Actor, case_id: int, name: str, **inputs) -> Case:
    """Dispatch a step chosen by name (the browser's generic transition form)."""
    if name not in STEPS:
        raise DomainError(_("Unknown step."), code="unknown_transition")
    from cases import services  # the package exports the service the registry names for each step

    return getattr(services, STEPS[name].service_name)(actor=actor, case_id=case_id, **inputs)


def escalation_proposal_refusals(case: Case, actor: User) -> list[str]:
    """Why ``actor`` may not propose forced return for ``case`` now (empty: they may)."""
    reasons = []
    if not actor.has_perm("cases.counsel_case"):
        reasons.append(_("Only a counsellor or office manager may take this step."))
    if case.state not in STEPS["escalate_to_forced_return"].sources:
        reasons.append(_("Escalation can only be proposed during orientation or voluntary return."))
    else:
        # Only the manager's permission may be missing: a step the law's guards refuse is "not
        # yet", never a proposal that lands on the manager's desk to be refused there (issue 14).
        reasons += transition_refusals(case, "escalate_to_forced_return", SYSTEM)
    return reasons


@transaction.atomic
def propose_escalation(*, actor: User, case_id: int, motivation: str) -> Case:
    """A counsellor proposes forced return; an office manager decides (DESIGN §1)."""
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    reasons = escalation_proposal_refusals(case, actor)
    if not motivation.strip():
        reasons.append(_("A written motivation is required to escalate to forced return."))
    if reasons:
        raise TransitionRefused(_("This step cannot be taken now."), details=reasons)
    case.escalation_proposed_at = timezone.now()
    case.escalation_motivation = motivation
    case.save(update_fields=["escalation_proposed_at", "escalation_motivation", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.ESCALATION_PROPOSED, note=motivation)
    return case


PROPOSALS = {
    "escalation": ("escalation_proposed_at", "cases.escalate_case"),
    "lose_contact": ("lose_contact_proposed_at", "cases.decide_case"),
}


@transaction.atomic
def decline_proposal(*, actor: User, case_id: int, proposal: str, reason: str) -> Case:
    """The office manager decides against a proposal (escalation, losing contact): it leaves the
    managers' list, the counsellor goes on, and the timeline says why."""
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if proposal not in PROPOSALS:
        raise DomainError(_("Unknown proposal."), code="unknown_proposal")
    field, perm = PROPOSALS[proposal]
    reasons = []
    if not actor.has_perm(perm):
        reasons.append(_("Only an office manager may decide this step."))
    if getattr(case, field) is None:
        reasons.append(_("There is no open proposal to decide on."))
    reasons += _required(reason, _("Give the reason for declining, for the counsellor."))
    if reasons:
        raise TransitionRefused(_("This step cannot be taken now."), details=reasons)
    setattr(case, field, None)
    update = [field, "updated_at"]
    if proposal == "escalation":
        case.escalation_motivation = ""
        update.append("escalation_motivation")
    case.save(update_fields=update)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PROPOSAL_DECLINED, note=reason, data={"proposal": proposal})
    return case


def propose_lose_contact(*, case: Case, actor: Actor, note: str = "") -> bool:
    """Mark the case for a manager's decision on losing contact (the no-show rule). Idempotent.

    Called inside the caller's transaction with the case row locked.
    """
    if case.lose_contact_proposed_at is not None or case.state not in LOSE_CONTACT_STATES:
        return False
    case.lose_contact_proposed_at = timezone.now()
    case.save(update_fields=["lose_contact_proposed_at", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.LOSE_CONTACT_PROPOSED, note=note,
                 data={"no_shows": case.consecutive_no_shows})
    return True
