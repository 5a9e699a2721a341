"""Vulnerability flags, the "unfit to travel" opinion and removal operations."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.followups import StateChanged
from cases.models import Case, CaseEvent, State
from cases.returns import guards
from cases.returns.access import access_for_counselling
from cases.returns.care import FitnessOpinion, RemovalOperation, Vulnerability
from cases.services.events import record_event
from cases.services.transitions import confirm_removal
from returnpath.actors import User
from returnpath.errors import DomainError, TransitionRefused


@transaction.atomic
def update_vulnerability(*, actor: User, case_id: int, flags: dict[str, bool], note: str = "") -> Vulnerability:
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True)
    unknown = set(flags) - set(Vulnerability.FLAGS)
    if unknown:
        raise DomainError(_("Unknown vulnerability: %(flags)s.") % {"flags": ", ".join(sorted(unknown))})
    vulnerability, _created = Vulnerability.objects.get_or_create(case=case)
    before = vulnerability.active_flags
    for flag in Vulnerability.FLAGS:
        setattr(vulnerability, flag, bool(flags.get(flag, False)))
    vulnerability.note = note
    vulnerability.save()
    case.vulnerable = bool(vulnerability.active_flags) or case.vulnerable
    case.save(update_fields=["vulnerable", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.VULNERABILITY,
                 data={"flags": vulnerability.active_flags, "before": before})
    return vulnerability


@transaction.atomic
def record_unfit_to_travel(*, actor: User, case_id: int, given_on: dt.date | None, physician: str = "", note: str = "") -> FitnessOpinion:
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True)
    reasons = []
    if given_on is None:
        reasons.append(_("Give the date of the medical opinion."))
    elif given_on > timezone.localdate():
        reasons.append(_("A medical opinion cannot be dated in the future."))
    if case.fitness_opinions.filter(lifted_on__isnull=True).exists():
        reasons.append(_("An unfit-to-travel opinion is already in force."))
    if reasons:
        raise TransitionRefused(_("The opinion cannot be recorded."), details=reasons)
    assert given_on is not None  # refused above
    opinion = FitnessOpinion.objects.create(case=case, given_on=given_on, physician=physician, note=note, recorded_by=actor)
    case.unfit_to_travel_since = given_on
    case.save(update_fields=["unfit_to_travel_since", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.FITNESS_OPINION, note=note,
                 data={"opinion": opinion.pk, "unfit": True, "given_on": given_on.isoformat()})
    return opinion


@transaction.atomic
def lift_unfit_to_travel(*, actor: User, case_id: int, lifted_on: dt.date | None, note: str) -> FitnessOpinion:
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True)
    opinion = case.fitness_opinions.select_for_update().filter(lifted_on__isnull=True).first()
    reasons = []
    if opinion is None:
        raise DomainError(_("No unfit-to-travel opinion is in force."), code="not_found")
    if lifted_on is None:
        reasons.append(_("Give the date of the opinion that lifts it."))
    elif lifted_on > timezone.localdate() or lifted_on < opinion.given_on:
        reasons.append(_("It is lifted between the first opinion and today."))
    if not note.strip():
        reasons.append(_("Say why (a new medical opinion)."))
    if reasons:
        raise TransitionRefused(_("The opinion cannot be lifted."), details=reasons)
    assert lifted_on is not None  # refused above
    opinion.lifted_on, opinion.lifted_note = lifted_on, note
    opinion.save(update_fields=["lifted_on", "lifted_note"])
    case.unfit_to_travel_since = None
    case.save(update_fields=["unfit_to_travel_since", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.FITNESS_OPINION, note=note,
                 data={"opinion": opinion.pk, "unfit": False, "lifted_on": lifted_on.isoformat()})
    return opinion


# --- removal operations ------------------------------------------------------------------
def removal_refusals(case: Case) -> list[str]:
    """Why no removal operation can be planned for the case now (empty: it can)."""
    return guards.refusals(case, guards.REMOVAL_GUARDS)


@transaction.atomic
def plan_removal(*, actor: User, case_id: int, planned_on: dt.date | None, escort_needed: bool = False, escorts: int = 0,
                 flight_reference: str = "") -> RemovalOperation:
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True, perm="cases.place_case")
    reasons = removal_refusals(case)
    if planned_on is None:
        reasons.append(_("Give the planned removal date."))
    elif planned_on < timezone.localdate():
        reasons.append(_("A removal cannot be planned in the past."))
    if escort_needed and escorts < 1:
        reasons.append(_("Say how many escorts are needed."))
    if case.removal_operations.filter(status=RemovalOperation.Status.PLANNED).exists():
        reasons.append(_("A removal operation is already planned: record its outcome first."))
    if reasons:
        raise TransitionRefused(_("The removal cannot be planned."), details=reasons)
    assert planned_on is not None  # refused above
    operation = RemovalOperation.objects.create(
        case=case, planned_on=planned_on, escort_needed=escort_needed, escorts=escorts if escort_needed else 0,
        flight_reference=flight_reference, planned_by=actor,
    )
    case.removal_planned_on = planned_on
    case.save(update_fields=["removal_planned_on", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.REMOVAL_PLANNED, data={
        "operation": operation.pk, "planned_on": planned_on.isoformat(), "escorts": operation.escorts,
        "flight_reference": flight_reference,
    })
    return operation


@transaction.atomic
def record_removal_outcome(*, actor: User, case_id: int, operation_id: int, status: str, outcome_on: dt.date | None,
                           note: str = "") -> RemovalOperation:
    """Carried out ends the case through ``confirm_removal`` (its guards apply); a refused
    boarding is recorded and counted and the case stays in forced return with its placement;
    a cancellation needs its reason."""
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True, perm="cases.place_case")
    operation = case.removal_operations.select_for_update().filter(pk=operation_id).first()
    if operation is None:
        raise DomainError(_("No such removal operation on this case."), code="not_found")
    reasons = []
    if operation.status != RemovalOperation.Status.PLANNED:
        if operation.status == status and operation.outcome_on == outcome_on:
            return operation
        reasons.append(_("This removal operation already has its outcome."))
    if status not in (RemovalOperation.Status.CARRIED_OUT, RemovalOperation.Status.REFUSED_BOARDING, RemovalOperation.Status.CANCELLED):
        reasons.append(_("The outcome is carried out, refused boarding or cancelled."))
    if outcome_on is None:
        reasons.append(_("Give the date of the outcome."))
    elif outcome_on > timezone.localdate():
        reasons.append(_("An outcome cannot be in the future."))
    if status == RemovalOperation.Status.CANCELLED and not note.strip():
        reasons.append(_("Give the reason for cancelling."))
    if reasons:
        raise TransitionRefused(_("The outcome cannot be recorded."), details=reasons)
    assert outcome_on is not None  # refused above
    operation.status, operation.outcome_on, operation.outcome_note = status, outcome_on, note
    operation.save(update_fields=["status", "outcome_on", "outcome_note"])
    case.removal_planned_on = None
    case.save(update_fields=["removal_planned_on", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.REMOVAL_OUTCOME, note=note,
                 data={"operation": operation.pk, "status": status, "outcome_on": outcome_on.isoformat()})
    if status == RemovalOperation.Status.CARRIED_OUT:
        confirm_removal(actor=actor, case_id=case.pk, removed_on=outcome_on, expected_state=State.FORCED_RETURN)
    return operation


def cancel_removal_on_state_change(step: StateChanged) -> None:
    """A planned removal operation follows the case: removed elsewhere → carried out; the case
    leaving forced return otherwise (a suspensive appeal, voluntary return...) → cancelled.
    Follows every trajectory step (cases/followups.py)."""
    case, actor, from_state, to_state = step.case, step.actor, step.from_state, step.to_state
    if from_state != State.FORCED_RETURN:
        return
    operation = case.removal_operations.select_for_update().filter(status=RemovalOperation.Status.PLANNED).first()
    if operation is None:
        return
    if to_state == State.REMOVED:
        operation.status, operation.outcome_on = RemovalOperation.Status.CARRIED_OUT, case.removed_on
    else:
        operation.status, operation.outcome_on = RemovalOperation.Status.CANCELLED, timezone.localdate()
        operation.outcome_note = _("The case left forced return.")
    operation.save(update_fields=["status", "outcome_on", "outcome_note"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.REMOVAL_OUTCOME,
                 data={"operation": operation.pk, "status": operation.status, "to_state": to_state})
