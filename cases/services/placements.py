"""Placements in closed centres, return houses and open return places."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import guards as g
from cases.models import Case, CaseEvent, DetentionDecision, Person, Placement, State
from cases.selectors import access_case
from cases.services.detention import (
    close_period,
    continue_or_open_period,
    four_eyes_required,
    is_detention,
    open_period,
    withdraw_pending_detention,
)
from cases.services.events import record_event
from offices.models import Office
from returnpath.actors import Actor, User
from returnpath.errors import DomainError, TransitionRefused


def placement_refusals(case: Case, facility: Office, occupied: int) -> list[str]:
    """Every reason the case may not be placed in the facility (all at once)."""
    reasons = []
    if not facility.is_facility:
        return [_("%(office)s has no places: choose a closed centre, return house or open return place.") % {"office": facility}]
    allowed_states = (State.FORCED_RETURN, State.VOLUNTARY_RETURN) if facility.kind == Office.Kind.OPEN_RETURN_PLACE else (State.FORCED_RETURN,)
    if case.state not in allowed_states:
        reasons.append(
            _("A placement in a %(kind)s is only possible in forced return%(or_voluntary)s.")
            % {"kind": facility.get_kind_display().lower(),
               "or_voluntary": _(" or voluntary return") if facility.kind == Office.Kind.OPEN_RETURN_PLACE else ""}
        )
    if facility.kind == Office.Kind.CLOSED_CENTRE and case.minor_children:
        reasons.append(_(
            "Families with minor children are never held in a closed centre (the pro-active return law, in force since "
            "20 July 2024): choose a return house."
        ))
    if facility.kind == Office.Kind.CLOSED_CENTRE and case.unaccompanied_minor:
        reasons.append(_("An unaccompanied minor is never held in a closed centre."))
    if facility.restriction == Office.Restriction.FAMILIES_ONLY and not case.minor_children:
        reasons.append(_("%(facility)s only takes families with minor children.") % {"facility": facility})
    if facility.restriction == Office.Restriction.MEN_ONLY and case.person.sex != Person.Sex.MALE:
        reasons.append(_("%(facility)s only takes men.") % {"facility": facility})
    if facility.restriction == Office.Restriction.WOMEN_ONLY and case.person.sex != Person.Sex.FEMALE:
        reasons.append(_("%(facility)s only takes women.") % {"facility": facility})
    if facility.capacity is not None and occupied >= facility.capacity:
        reasons.append(_("%(facility)s is full (%(occupied)s of %(capacity)s places taken).")
                       % {"facility": facility, "occupied": occupied, "capacity": facility.capacity})
    if not facility.is_active:
        reasons.append(_("%(facility)s is not in service.") % {"facility": facility})
    if is_detention(facility) and g.route_to_stay_granted(case):
        reasons.append(str(g.no_granted_route_to_stay.refusal))
    return reasons


@transaction.atomic
def place_in_facility(
    *, actor: User, case_id: int, facility_id: int, started_on: dt.date | None = None, motivation: str = ""
) -> Placement | DetentionDecision:
    """Place the person in a facility.

    A transfer between detention facilities continues the detention title. A placement that
    starts a detention, with four eyes on (the default), is only a decision awaiting a second
    person's confirmation (:func:`cases.services.detention_decisions.confirm_detention_decision`):
    the :class:`DetentionDecision` is returned and nothing takes effect yet.
    """
    if not actor.has_perm("cases.place_case"):
        raise TransitionRefused(_("This placement is not possible."), details=[_("Only an office manager may decide a placement.")])
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    facility = _locked_facility(facility_id)
    started_on = started_on or timezone.localdate()
    reasons = placement_refusals(case, facility, _occupied(facility, case))
    if started_on > timezone.localdate():
        reasons.append(_("A placement cannot start in the future."))
    starts_detention = is_detention(facility) and open_period(case) is None
    if starts_detention and four_eyes_required() and case.detention_decisions.filter(status="pending").exists():
        reasons.append(_("A detention decision on this case is already awaiting confirmation."))
    if reasons:
        raise TransitionRefused(_("This placement is not possible."), details=reasons)
    if starts_detention and four_eyes_required():
        decision = DetentionDecision.objects.create(
            case=case, kind=DetentionDecision.Kind.PLACEMENT, facility=facility, starts_on=started_on,
            decided_on=timezone.localdate(), motivation=motivation, decided_by=actor,
        )
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.DETENTION_DECIDED, note=motivation,
                     data={"decision": decision.pk, "kind": decision.kind, "facility": facility.name,
                           "starts_on": started_on.isoformat(), "pending": True})
        case.save(update_fields=["updated_at"])
        return decision
    return start_placement(case=case, facility=facility, started_on=started_on, actor=actor)


def _locked_facility(facility_id: int) -> Office:
    # Lock the facility row: two managers filling the last place must not both succeed.
    facility = Office.objects.select_for_update().filter(pk=facility_id).first()
    if facility is None:
        raise DomainError(_("No such facility."), code="not_found")
    return facility


def _occupied(facility: Office, case: Case) -> int:
    return Placement.objects.filter(facility=facility, ended_on__isnull=True).exclude(case=case).count()


def start_placement(*, case: Case, facility: Office, started_on: dt.date, actor: Actor) -> Placement:
    """The placement takes effect (case and facility locked by the caller): the current one ends,
    and a detention placement joins the detention title (a transfer never restarts the clock)."""
    current = case.placements.select_related("facility").filter(ended_on__isnull=True).first()
    if current is not None:
        current.ended_on = max(started_on, current.started_on)
        current.save(update_fields=["ended_on"])
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_ENDED,
                     data={"placement": current.pk, "facility": current.facility.name})
        if is_detention(current.facility) and not is_detention(facility):
            close_period(case=case, actor=actor, on=current.ended_on, reason="moved")
    period = continue_or_open_period(case=case, started_on=started_on, actor=actor) if is_detention(facility) else None
    placement = Placement.objects.create(case=case, facility=facility, started_on=started_on, detention_period=period)
    data = {"placement": placement.pk, "facility": facility.name}
    if period is not None:
        data.update(period=period.pk, detained_since=period.started_on.isoformat(), detention_limit=period.limit_date.isoformat())
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_STARTED, data=data)
    case.save(update_fields=["updated_at"])
    return placement


@transaction.atomic
def end_placement(*, actor: User, case_id: int, placement_id: int, ended_on: dt.date | None = None) -> Placement:
    if not actor.has_perm("cases.place_case"):
        raise DomainError(_("Only an office manager may end a placement."), code="forbidden")
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    placement = case.placements.filter(pk=placement_id, ended_on__isnull=True).first()
    if placement is None:
        raise DomainError(_("No current placement with that number on this case."), code="not_found")
    ended_on = ended_on or timezone.localdate()
    if ended_on < placement.started_on:
        raise DomainError(_("A placement cannot end before it started."), code="invalid_date")
    placement.ended_on = ended_on
    placement.save(update_fields=["ended_on"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_ENDED,
                 data={"placement": placement.pk, "facility": placement.facility.name})
    if placement.detention_period_id:
        close_period(case=case, actor=actor, on=ended_on, reason="released")
    case.save(update_fields=["updated_at"])
    return placement


def end_placement_when_case_ends(*, case: Case, actor: Actor, on: dt.date | None = None) -> Placement | None:
    """A person removed, departed, vanished or whose case closed no longer takes a place: free it
    (inside the transition's transaction, the case row locked). Returns the ended placement, if any."""
    withdraw_pending_detention(case=case, reason=case.state)
    current = case.placements.select_related("facility").filter(ended_on__isnull=True).first()
    if current is None:
        return None
    current.ended_on = max(on or timezone.localdate(), current.started_on)
    current.save(update_fields=["ended_on"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_ENDED,
                 data={"placement": current.pk, "facility": current.facility.name, "state": case.state})
    close_period(case=case, actor=actor, on=current.ended_on, reason=case.state)
    return current
