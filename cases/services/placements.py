"""Placements in closed centres, return houses and open return places."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import legal
from cases.models import Case, CaseEvent, Person, Placement, State
from cases.selectors import access_case
from cases.services.events import record_event
from offices.models import Office
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
        reasons.append(_("Families with minor children are never held in a closed centre (law of 2 May 2024): choose a return house."))
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
    return reasons


@transaction.atomic
def place_in_facility(
    *, actor, case_id: int, facility_id: int, started_on: dt.date | None = None, extension: str = Placement.Extension.NONE
) -> Placement:
    if not actor.has_perm("cases.place_case"):
        raise TransitionRefused(_("This placement is not possible."), details=[_("Only an office manager may decide a placement.")])
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    # Lock the facility row: two managers filling the last place must not both succeed.
    facility = Office.objects.select_for_update().filter(pk=facility_id).first()
    if facility is None:
        raise DomainError(_("No such facility."), code="not_found")
    started_on = started_on or timezone.localdate()
    occupied = Placement.objects.filter(facility=facility, ended_on__isnull=True).exclude(case=case).count()
    reasons = placement_refusals(case, facility, occupied)
    if extension not in Placement.Extension.values:
        reasons.append(_("Choose the detention limit that applies."))
    if started_on > timezone.localdate():
        reasons.append(_("A placement cannot start in the future."))
    if reasons:
        raise TransitionRefused(_("This placement is not possible."), details=reasons)
    current = case.placements.filter(ended_on__isnull=True).first()
    if current is not None:
        current.ended_on = max(started_on, current.started_on)
        current.save(update_fields=["ended_on"])
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_ENDED,
                     data={"placement": current.pk, "facility": current.facility.name})
    placement = Placement.objects.create(case=case, facility=facility, started_on=started_on, extension=extension)
    data = {"placement": placement.pk, "facility": facility.name}
    if facility.kind in (Office.Kind.CLOSED_CENTRE, Office.Kind.RETURN_HOUSE):
        data["detention_limit"] = legal.detention_limit(started_on=started_on, extension=extension).isoformat()
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_STARTED, data=data)
    case.save(update_fields=["updated_at"])
    return placement


@transaction.atomic
def end_placement(*, actor, case_id: int, placement_id: int, ended_on: dt.date | None = None) -> Placement:
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
    case.save(update_fields=["updated_at"])
    return placement


def end_placement_when_case_ends(*, case: Case, actor, on: dt.date | None = None) -> Placement | None:
    """A person removed, departed, vanished or whose case closed no longer takes a place: free it
    (inside the transition's transaction, the case row locked). Returns the ended placement, if any."""
    current = case.placements.select_related("facility").filter(ended_on__isnull=True).first()
    if current is None:
        return None
    current.ended_on = max(on or timezone.localdate(), current.started_on)
    current.save(update_fields=["ended_on"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_ENDED,
                 data={"placement": current.pk, "facility": current.facility.name, "state": case.state})
    return current
