"""Legal procedures: lodged, decided; and the best-interest decision for unaccompanied minors."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import guards as g
from cases import legal
from cases.api.models import ApiClient
from cases.models import Case, CaseEvent, LegalProcedure, State
from cases.procedure_kinds import Granted, kinds_granting
from cases.selectors import access_case
from cases.services.detention import release_from_detention
from cases.services.events import record_event
from cases.services.transitions import _take
from returnpath.actors import SYSTEM, Actor, User
from returnpath.errors import Conflict, DomainError


def _require_legal_permission(actor: User) -> None:
    if not actor.has_perm("cases.record_legal_event"):
        raise DomainError(_("You may not record legal events or outcomes."), code="forbidden")


def refresh_procedure_counts(case: Case) -> None:
    """Recount the case's procedure fields the guards read (same transaction, case locked).

    What a granted decision means comes from ``cases.procedure_kinds``, nowhere else.
    """
    granted = Q(status=LegalProcedure.Status.GRANTED)
    counts = case.procedures.aggregate(
        pending=Count("id", filter=Q(status=LegalProcedure.Status.PENDING)),
        pending_suspensive=Count("id", filter=Q(status=LegalProcedure.Status.PENDING, suspensive=True)),
        granted=Count("id", filter=granted),
        routes=Count("id", filter=granted & Q(kind__in=kinds_granting(Granted.ROUTE_TO_STAY))),
        barred=Count("id", filter=granted & Q(
            kind__in=kinds_granting(Granted.SUSPENSION_OF_REMOVAL) + kinds_granting(Granted.ORDER_ANNULLED))),
        annulments=Count("id", filter=granted & Q(kind__in=kinds_granting(Granted.ORDER_ANNULLED))),
        transfers=Count("id", filter=granted & Q(kind__in=kinds_granting(Granted.TRANSFER_TO_MEMBER_STATE))),
    )
    case.pending_procedures = counts["pending"]
    case.pending_suspensive_procedures = counts["pending_suspensive"]
    case.granted_procedures = counts["granted"]
    case.granted_routes_to_stay = counts["routes"]
    case.removal_barred = counts["barred"]
    case.granted_annulments = counts["annulments"]
    case.granted_transfers = counts["transfers"]
    case.save(update_fields=[
        "pending_procedures", "pending_suspensive_procedures", "granted_procedures", "granted_routes_to_stay",
        "removal_barred", "granted_annulments", "granted_transfers", "updated_at",
    ])


# A granted route to stay recorded in any of these states moves the case to legal stay review.
ROUTE_TO_STAY_MOVES_FROM = (State.ORIENTATION, State.VOLUNTARY_RETURN, State.FORCED_RETURN, State.UNTRACEABLE)


def apply_the_law(case: Case, actor: Actor) -> None:
    """The law wins over the workflow (DESIGN §3), as a system step with its event:

    - a pending suspensive procedure while in forced return moves the case to legal stay review;
    - a granted route to stay (asylum, 9bis, 9ter, family reunification, a best-interest decision
      "stay") does so from orientation, voluntary return, forced return or untraceable.
    Either way any planned removal is cancelled (the transition clears it) and a current placement
    in detention ends with the detention title.
    """
    note = ""
    if case.state in ROUTE_TO_STAY_MOVES_FROM and g.route_to_stay_granted(case):
        note = _("A route to legal stay was granted: forced return is stopped.")
    elif case.state == State.FORCED_RETURN and case.pending_suspensive_procedures > 0:
        note = _("A suspensive legal procedure was lodged: removal is suspended.")
    if not note:
        return
    release = g.route_to_stay_granted(case)
    _take(actor=SYSTEM.on_report_of(actor), case_id=case.pk, name="open_legal_stay_review", note=note)
    case.refresh_from_db()
    if release:
        release_from_detention(case=case, actor=SYSTEM, reason="route_to_stay")


@transaction.atomic
def record_procedure(
    *,
    actor: User,
    case_id: int,
    kind: str,
    lodged_on: dt.date,
    suspensive: bool | None = None,
    reference: str = "",
    decision: str = "",
    decided_on: dt.date | None = None,
    client: ApiClient | None = None,
) -> tuple[LegalProcedure, bool]:
    """Record a procedure lodged (or already decided). Returns (procedure, created).

    Reporting the same procedure again (same kind and reference) decides it when a decision is
    given, and otherwise changes nothing: integrators may retry safely.
    """
    _require_legal_permission(actor)
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    errors = []
    if kind not in LegalProcedure.Kind.values:
        errors.append(_("Unknown kind of procedure."))
    if lodged_on and lodged_on > timezone.localdate():
        errors.append(_("The lodging date cannot be in the future."))
    if decision and decision not in (LegalProcedure.Status.GRANTED, LegalProcedure.Status.REJECTED, LegalProcedure.Status.WITHDRAWN):
        errors.append(_("A decision is granted, rejected or withdrawn."))
    if decision and not decided_on:
        errors.append(_("Give the date of the decision."))
    if decided_on and not decision:
        errors.append(_("A decision date needs a decision."))
    if decided_on and lodged_on and decided_on < lodged_on:
        errors.append(_("A procedure cannot be decided before it was lodged."))
    if decided_on and decided_on > timezone.localdate():
        errors.append(_("The decision date cannot be in the future."))
    if errors:
        raise DomainError(_("The legal procedure is not valid."), code="invalid_procedure", details=errors)
    if not case.is_open:
        raise Conflict(_("The case is closed; legal procedures can no longer be recorded."), code="case_closed")

    procedure = case.procedures.filter(kind=kind, reference=reference).first() if reference else None
    created = procedure is None
    if procedure is None:
        procedure = LegalProcedure.objects.create(
            case=case, client=client, kind=kind, reference=reference, lodged_on=lodged_on,
            suspensive=legal.is_suspensive_by_default(kind) if suspensive is None else suspensive,
        )
        record_event(
            case=case, actor=actor, kind=CaseEvent.Kind.PROCEDURE_LODGED,
            data={"procedure": procedure.pk, "kind": kind, "suspensive": procedure.suspensive, "reference": reference},
        )
    elif suspensive is not None and suspensive != procedure.suspensive and procedure.is_pending:
        # e.g. a 9ter request declared admissible becomes suspensive.
        procedure.suspensive = suspensive
        procedure.save(update_fields=["suspensive"])
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.PROCEDURE_LODGED,
                     data={"procedure": procedure.pk, "kind": kind, "suspensive": suspensive, "reference": reference})
    if decision:
        if procedure.is_pending:
            procedure.status, procedure.decided_on = decision, decided_on
            procedure.save(update_fields=["status", "decided_on"])
            record_event(case=case, actor=actor, kind=CaseEvent.Kind.PROCEDURE_DECIDED,
                         data={"procedure": procedure.pk, "kind": kind, "decision": decision})
        elif procedure.status != decision:
            raise Conflict(_("This procedure was already decided differently."), code="already_decided")
    refresh_procedure_counts(case)
    apply_the_law(case, actor)
    return procedure, created


@transaction.atomic
def decide_procedure(*, actor: User, case_id: int, procedure_id: int, decision: str, decided_on: dt.date | None) -> LegalProcedure:
    """The decision on a pending procedure (browser: the procedure's row on the case page)."""
    _require_legal_permission(actor)
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    procedure = case.procedures.filter(pk=procedure_id).first()
    if procedure is None:
        raise DomainError(_("No such procedure on this case."), code="not_found")
    if not procedure.is_pending:
        raise Conflict(_("This procedure was already decided."), code="already_decided")
    errors = []
    if decision not in (LegalProcedure.Status.GRANTED, LegalProcedure.Status.REJECTED, LegalProcedure.Status.WITHDRAWN):
        errors.append(_("A decision is granted, rejected or withdrawn."))
    if decided_on is None or decided_on < procedure.lodged_on or decided_on > timezone.localdate():
        errors.append(_("The decision date must be between the lodging date and today."))
    if errors:
        raise DomainError(_("The decision is not valid."), code="invalid_decision", details=errors)
    procedure.status, procedure.decided_on = decision, decided_on
    procedure.save(update_fields=["status", "decided_on"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PROCEDURE_DECIDED,
                 data={"procedure": procedure.pk, "kind": procedure.kind, "decision": decision})
    refresh_procedure_counts(case)
    apply_the_law(case, actor)
    return procedure


@transaction.atomic
def record_best_interest_decision(*, actor: User, case_id: int, outcome: str, note: str = "") -> Case:
    """The durable solution found for an unaccompanied minor (the escalation guard reads it)."""
    _require_legal_permission(actor)
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if not case.unaccompanied_minor:
        raise DomainError(_("A best-interest decision only applies to an unaccompanied minor."), code="not_applicable")
    if outcome not in Case.BestInterest.values or not outcome:
        raise DomainError(_("Choose the outcome of the best-interest procedure."), code="invalid_outcome")
    case.best_interest_outcome = outcome
    case.save(update_fields=["best_interest_outcome", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.BEST_INTEREST_DECIDED, note=note, data={"outcome": outcome})
    apply_the_law(case, actor)
    return case
