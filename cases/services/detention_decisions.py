"""Decisions on detention: extending the title, and the second person's confirmation (four
eyes on liberty, decision 012). A placement in detention or an extension takes effect only once
confirmed by another person with the ``cases.confirm_detention`` permission."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases import legal
from cases.models import CaseEvent, DetentionDecision, DetentionPeriod
from cases.selectors import access_case
from cases.services.detention import four_eyes_required, open_period
from cases.services.events import record_event
from cases.services.placements import _locked_facility, _occupied, placement_refusals, start_placement
from returnpath.actors import User
from returnpath.errors import DomainError, TransitionRefused

LIMIT_ORDER = [legal.DetentionLimit.INITIAL.value, legal.DetentionLimit.EXTENDED.value, legal.DetentionLimit.PUBLIC_ORDER.value]
EIGHT_MONTH_GROUNDS = (DetentionDecision.Ground.PUBLIC_ORDER, DetentionDecision.Ground.NATIONAL_SECURITY)


def extension_refusals(*, period: DetentionPeriod | None, extend_to: str, ground: str, motivation: str,
                       decided_on: dt.date | None, today: dt.date) -> list[str]:
    """Every reason an extension cannot be decided (Aliens Act art. 7; Directive art. 15(5)-(6))."""
    if period is None:
        return [_("The person is not in detention: there is nothing to extend.")]
    reasons = []
    if extend_to not in LIMIT_ORDER[1:]:
        reasons.append(_("Choose the new limit: 5 months, or 8 months on a public-order or national-security ground."))
    elif LIMIT_ORDER.index(extend_to) <= LIMIT_ORDER.index(period.limit):
        reasons.append(_("The detention is already extended to this limit or further."))
    if extend_to == legal.DetentionLimit.PUBLIC_ORDER and ground not in EIGHT_MONTH_GROUNDS:
        reasons.append(_("An extension to 8 months needs a recorded public-order or national-security ground."))
    if ground and ground not in DetentionDecision.Ground.values:
        reasons.append(_("Unknown ground."))
    if not (motivation or "").strip():
        reasons.append(_("An extension of detention must be motivated."))
    limit = period.limit_date
    if decided_on is None:
        reasons.append(_("Give the date of the decision."))
    elif decided_on > today:
        reasons.append(_("The decision date cannot be in the future."))
    elif decided_on < period.started_on:
        reasons.append(_("The decision cannot predate the detention."))
    if today > limit or (decided_on and decided_on > limit):
        reasons.append(
            _("The limit of %(date)s has passed: an extension must be decided before it; the person must be released.")
            % {"date": formats.date_format(limit)}
        )
    return reasons


@transaction.atomic
def extend_detention(*, actor: User, case_id: int, extend_to: str, ground: str = "", motivation: str,
                     decided_on: dt.date | None = None) -> DetentionDecision:
    """An office manager's dated, motivated decision to extend the detention title."""
    if not actor.has_perm("cases.decide_detention"):
        raise TransitionRefused(_("This extension is not possible."), details=[_("Only an office manager may extend a detention.")])
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    today = timezone.localdate()
    decided_on = decided_on or today
    period = open_period(case)
    reasons = extension_refusals(period=period, extend_to=extend_to, ground=ground, motivation=motivation,
                                 decided_on=decided_on, today=today)
    if case.detention_decisions.filter(status=DetentionDecision.Status.PENDING).exists():
        reasons.append(_("A detention decision on this case is already awaiting confirmation."))
    if reasons:
        raise TransitionRefused(_("This extension is not possible."), details=reasons)
    decision = DetentionDecision.objects.create(
        case=case, period=period, kind=DetentionDecision.Kind.EXTENSION, extend_to=extend_to, ground=ground,
        decided_on=decided_on, motivation=motivation, decided_by=actor,
    )
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.DETENTION_DECIDED, note=motivation,
                 data={"decision": decision.pk, "kind": decision.kind, "extend_to": extend_to, "ground": ground,
                       "decided_on": decided_on.isoformat(), "pending": four_eyes_required()})
    if not four_eyes_required():
        _take_effect(decision=decision, confirmer=actor)
    case.save(update_fields=["updated_at"])
    return decision


def _take_effect(*, decision: DetentionDecision, confirmer) -> None:
    case = decision.case
    if decision.kind == DetentionDecision.Kind.EXTENSION:
        period = open_period(case)
        if period is None or period.pk != decision.period_id:
            raise TransitionRefused(_("This decision cannot be confirmed."),
                                    details=[_("The person is no longer in this detention: there is nothing to extend.")])
        today = timezone.localdate()
        if today > period.limit_date:
            raise TransitionRefused(_("This decision cannot be confirmed."), details=[
                _("The limit of %(date)s has passed: an extension must be decided before it; the person must be released.")
                % {"date": formats.date_format(period.limit_date)}])
        period.limit = decision.extend_to
        period.save(update_fields=["limit"])
        data = {"decision": decision.pk, "kind": decision.kind, "limit": period.limit_date.isoformat()}
    else:
        # A placement decision always names its facility and start (place_in_facility).
        assert decision.facility_id is not None and decision.starts_on is not None  # a placement decision
        facility = _locked_facility(decision.facility_id)
        reasons = placement_refusals(case, facility, _occupied(facility, case))
        if reasons:
            raise TransitionRefused(_("This decision cannot be confirmed."), details=reasons)
        placement = start_placement(case=case, facility=facility, started_on=decision.starts_on, actor=confirmer)
        # Only a placement starting a detention waits for confirmation: its facility is a detention one.
        assert placement.detention_period is not None  # the facility is a detention facility
        decision.period = placement.detention_period
        data = {"decision": decision.pk, "kind": decision.kind, "placement": placement.pk,
                "limit": placement.detention_period.limit_date.isoformat()}
    decision.status = DetentionDecision.Status.CONFIRMED
    decision.confirmed_by = confirmer
    decision.confirmed_at = timezone.now()
    decision.save(update_fields=["status", "confirmed_by", "confirmed_at", "period"])
    record_event(case=case, actor=confirmer, kind=CaseEvent.Kind.DETENTION_CONFIRMED, data=data)


def _pending_decision(*, actor: User, case_id: int, decision_id: int) -> DetentionDecision:
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    decision = case.detention_decisions.select_related("decided_by").filter(pk=decision_id).first()
    if decision is None:
        raise DomainError(_("No such detention decision on this case."), code="not_found")
    decision.case = case
    reasons = []
    if not actor.has_perm("cases.confirm_detention"):
        reasons.append(_("Only an office manager may confirm or refuse a detention decision."))
    if not decision.is_pending:
        reasons.append(_("This decision is no longer awaiting confirmation."))
    if decision.decided_by_id == actor.pk:
        reasons.append(_("Four eyes: the person who decided cannot also confirm; another office manager must."))
    if reasons:
        raise TransitionRefused(_("This decision cannot be confirmed."), details=reasons)
    return decision


@transaction.atomic
def confirm_detention_decision(*, actor: User, case_id: int, decision_id: int) -> DetentionDecision:
    """The second person confirms: only now the placement starts or the limit moves."""
    decision = _pending_decision(actor=actor, case_id=case_id, decision_id=decision_id)
    _take_effect(decision=decision, confirmer=actor)
    decision.case.save(update_fields=["updated_at"])
    return decision


@transaction.atomic
def refuse_detention_decision(*, actor: User, case_id: int, decision_id: int, reason: str) -> DetentionDecision:
    """The second person does not confirm: nothing takes effect, the reason is on the timeline."""
    decision = _pending_decision(actor=actor, case_id=case_id, decision_id=decision_id)
    if not (reason or "").strip():
        raise TransitionRefused(_("This decision cannot be refused."), details=[_("Give the reason for not confirming.")])
    decision.status = DetentionDecision.Status.REFUSED
    decision.confirmed_by = actor
    decision.confirmed_at = timezone.now()
    decision.refusal_reason = reason
    decision.save(update_fields=["status", "confirmed_by", "confirmed_at", "refusal_reason"])
    record_event(case=decision.case, actor=actor, kind=CaseEvent.Kind.DETENTION_REFUSED, note=reason,
                 data={"decision": decision.pk, "kind": decision.kind})
    decision.case.save(update_fields=["updated_at"])
    return decision
