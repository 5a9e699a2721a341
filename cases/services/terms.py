"""Decisions on the period for voluntary departure: an extension (Return Directive art. 7(2);
Aliens Act art. 74/14 §1) or a shortening when a risk arises during it (Directive art. 8(2);
Aliens Act art. 74/14 §3). The case's deadline moves with the working-day rule; the escalation
guard reads it (and ``early_escalation_ground``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Min
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases import legal
from cases.api.models import ApiClient
from cases.models import CaseEvent, DepartureTermDecision, OrderToLeave, State
from cases.selectors import access_case
from cases.services.events import record_event
from returnpath.actors import User
from returnpath.errors import Conflict, TransitionRefused

MAX_EXTENSION_DAYS = 180
Kind = DepartureTermDecision.Kind


@transaction.atomic
def record_term_decision(
    *,
    actor: User,
    case_id: int,
    kind: str,
    ground: str,
    days: int | None,
    motivation: str,
    decided_on: dt.date | None = None,
    reference: str = "",
    client: ApiClient | None = None,
    until: dt.date | None = None,
) -> tuple[DepartureTermDecision, bool]:
    """Record a dated decision on the departure period. Returns (decision, created); the same
    reference again answers the decision already recorded (integrators may retry).

    An extension is given in ``days`` added to the current deadline, or as the date it runs
    ``until`` (then ``days`` is counted from the current deadline); either way the new deadline
    rolls to the next working day.
    """
    if not actor.has_perm("cases.decide_departure_term"):
        raise TransitionRefused(_("This decision cannot be recorded."),
                                details=[_("Only an office manager or the order register may decide on the departure period.")])
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if reference:
        existing = case.term_decisions.filter(reference=reference, kind=kind).first()
        if existing is not None:
            same_period = (existing.new_deadline == legal.next_working_day_on_or_after(until)) if until else existing.days == days
            if existing.ground != ground or not same_period:
                raise Conflict(_("A decision with this reference was already recorded with other content."), code="reference_conflict")
            return existing, False
    today = timezone.localdate()
    decided_on = decided_on or today
    reasons = []
    if kind not in Kind.values:
        reasons.append(_("A decision on the departure period is an extension or a shortening."))
    grounds = DepartureTermDecision.EXTENSION_GROUNDS if kind == Kind.EXTENSION else DepartureTermDecision.SHORTENING_GROUNDS
    if ground not in grounds:
        reasons.append(_("Choose a ground the law allows for this decision: %(grounds)s.")
                       % {"grounds": ", ".join(str(DepartureTermDecision.Ground(g).label) for g in grounds)})
    if not (motivation or "").strip():
        reasons.append(_("A decision on the departure period must be motivated."))
    if decided_on > today:
        reasons.append(_("The decision date cannot be in the future."))
    first = OrderToLeave.objects.filter(case=case).aggregate(first=Min("notified_on"))["first"]
    if first and decided_on < first:
        reasons.append(_("The decision cannot be before the order was notified (%(date)s).") % {"date": formats.date_format(first)})
    if not case.is_open or case.state == State.FORCED_RETURN:
        reasons.append(_("The departure period can only be changed while the case is open and not in forced return."))
    current = case.departure_deadline
    if current is None:
        reasons.append(_("The case has no departure deadline to change."))
    if until is not None and current is not None and kind == Kind.EXTENSION:
        if days is not None and days != (until - current).days:
            reasons.append(_("Give the extension either in days or as the date it runs until, not both."))
        days = (until - current).days
    new_deadline = None
    if kind == Kind.EXTENSION and current is not None:
        if days is None or not 1 <= days <= MAX_EXTENSION_DAYS:
            reasons.append(_("An extension is 1 to %(max)s days.") % {"max": MAX_EXTENSION_DAYS})
        else:
            new_deadline = legal.extended_departure_deadline(current=current, days=days)
    elif kind == Kind.SHORTENING and current is not None:
        if current < decided_on:
            reasons.append(_("The period had already ended: there is nothing to shorten."))
        if days is None or days < 0:
            reasons.append(_("Give the new period in days from the decision (0: leave at once)."))
        else:
            new_deadline = legal.shortened_departure_deadline(decided_on=decided_on, days=days)
            if new_deadline >= current:
                reasons.append(_("A shortening must end the period before the current deadline (%(date)s).")
                               % {"date": formats.date_format(current)})
    if reasons:
        raise TransitionRefused(_("This decision cannot be recorded."), details=reasons)
    assert days is not None and current is not None and new_deadline is not None  # refused above

    decision = DepartureTermDecision.objects.create(
        case=case, client=client, kind=kind, ground=ground, decided_on=decided_on, days=days,
        previous_deadline=current, new_deadline=new_deadline, motivation=motivation, reference=reference, decided_by=actor,
    )
    case.departure_deadline = new_deadline
    # An extension gives a full period again; a shortening lets escalation come before its end.
    case.early_escalation_ground = "shortened" if kind == Kind.SHORTENING else ""
    case.save(update_fields=["departure_deadline", "early_escalation_ground", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.TERM_DECIDED, note=motivation,
                 data={"decision": decision.pk, "kind": kind, "ground": ground, "days": days,
                       "previous_deadline": current.isoformat(), "deadline": new_deadline.isoformat()})
    return decision, True
