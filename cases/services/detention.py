"""The detention title: one period per uninterrupted detention across consecutive placements in
closed centres and return houses (Aliens Act art. 7; CJEU Kadzoev C-357/09). A transfer never
restarts the clock; a release ends the period. Called inside the callers' transactions, with the
case row locked."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, DetentionDecision, DetentionPeriod, Placement
from cases.services.events import record_event
from offices.models import Office
from returnpath.actors import SYSTEM, Actor


def is_detention(facility: Office) -> bool:
    return facility.kind in Office.DETENTION_KINDS


def four_eyes_required() -> bool:
    """A placement in detention and an extension are confirmed by a second person (decision 012)."""
    return bool(getattr(settings, "RETURNPATH_FOUR_EYES_DETENTION", True))


def open_period(case: Case) -> DetentionPeriod | None:
    return case.detention_periods.filter(ended_on__isnull=True).first()


def continue_or_open_period(*, case: Case, started_on: dt.date, actor: Actor) -> DetentionPeriod:
    """The period a detention placement starting on ``started_on`` belongs to.

    The open period, if any (a transfer); else the last period when it ended the day before or
    later (a transfer recorded as "end, then place": still uninterrupted); else a new period.
    """
    period = open_period(case)
    if period is not None:
        return period
    last = case.detention_periods.order_by("-started_on", "-id").first()
    if last is not None and last.ended_on is not None and last.ended_on >= started_on - dt.timedelta(days=1):
        last.ended_on = None
        last.save(update_fields=["ended_on"])
        return last
    return DetentionPeriod.objects.create(case=case, started_on=started_on)


def close_period(*, case: Case, actor: Actor, on: dt.date | None = None, reason: str = "") -> DetentionPeriod | None:
    """The person is no longer detained: the period ends (its days held stop counting)."""
    period = open_period(case)
    if period is None:
        return None
    period.ended_on = max(on or timezone.localdate(), period.started_on)
    period.save(update_fields=["ended_on"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.DETENTION_ENDED,
                 data={"period": period.pk, "ended_on": period.ended_on.isoformat(), "days_held": period.days_held,
                       "reason": reason})
    return period


def withdraw_pending_detention(*, case: Case, reason: str) -> int:
    """A detention decision still awaiting its second person lapses when the case no longer allows
    it (a route to stay granted, the case ended): it leaves the managers' list, with the reason."""
    pending = list(case.detention_decisions.filter(status=DetentionDecision.Status.PENDING))
    note = (_("A route to legal stay was granted: the detention decision lapses.") if reason == "route_to_stay"
            else _("The case left forced return: the detention decision lapses."))
    for decision in pending:
        decision.status = DetentionDecision.Status.REFUSED
        decision.refusal_reason = note
        decision.save(update_fields=["status", "refusal_reason"])
        record_event(case=case, actor=SYSTEM, kind=CaseEvent.Kind.DETENTION_REFUSED, note=note,
                     data={"decision": decision.pk, "kind": decision.kind, "lapsed": reason})
    return len(pending)


def release_from_detention(*, case: Case, actor: Actor, reason: str, on: dt.date | None = None) -> DetentionPeriod | None:
    """End the current detention placement and the period (e.g. a route to stay was granted)."""
    withdraw_pending_detention(case=case, reason=reason)
    current = (
        case.placements.select_related("facility").filter(ended_on__isnull=True, facility__kind__in=Office.DETENTION_KINDS).first()
    )
    if current is not None:
        current.ended_on = max(on or timezone.localdate(), current.started_on)
        current.save(update_fields=["ended_on"])
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.PLACEMENT_ENDED,
                     data={"placement": current.pk, "facility": current.facility.name, "reason": reason})
    return close_period(case=case, actor=actor, on=on, reason=reason)


def placement_started_in(period: DetentionPeriod) -> Placement | None:
    return period.placements.order_by("started_on", "id").first()
