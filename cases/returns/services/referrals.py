"""Referral of a voluntary return to a partner, its stages, and reintegration after departure."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import legal
from cases.api.models import ApiClient
from cases.followups import StateChanged
from cases.models import Case, CaseEvent, State
from cases.returns import guards
from cases.returns.access import access_for_counselling, api_client_of, forbidden
from cases.returns.care import Vulnerability
from cases.returns.models import ACTIVE_REFERRAL_STAGES, FOLLOW_UP_MONTHS, FollowUpContact, Referral, ReintegrationSupport
from cases.services.events import record_event
from returnpath.actors import User
from returnpath.errors import Conflict, DomainError, TransitionRefused

# Which stage a partner may report from which (departure comes through confirm_departure).
STAGE_SOURCES: dict[str, tuple[str, ...]] = {
    Referral.Stage.ACCEPTED: (Referral.Stage.REFERRED,),
    Referral.Stage.BOOKED: (Referral.Stage.ACCEPTED, Referral.Stage.BOOKED),
    Referral.Stage.CANCELLED: ACTIVE_REFERRAL_STAGES,
}


def vulnerability_flags(case: Case) -> list[str]:
    vulnerability = Vulnerability.objects.filter(case=case).first()
    flags = list(vulnerability.active_flags) if vulnerability else []
    return flags or (["vulnerable"] if case.vulnerable else [])


@transaction.atomic
def refer_to_partner(
    *, actor: User, case_id: int, partner_id: int, destination_country: str, consent_on: dt.date | None, travellers: int = 1,
    travellers_note: str = "", destination_place: str = "", medical_needs: str = "", reintegration_wishes: str = "",
) -> Referral:
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True)
    reasons = guards.refusals(case, guards.REFERRAL_GUARDS)
    partner = ApiClient.objects.filter(pk=partner_id, is_active=True).first()
    if partner is None or not partner.has_scope(ApiClient.Scope.RETURNS_PARTNER):
        reasons.append(_("Choose an active return partner."))
    if consent_on is None:
        reasons.append(_("Record the day the person consented to the referral (their data goes to the partner)."))
    elif consent_on > timezone.localdate():
        reasons.append(_("Consent cannot be given in the future."))
    if not destination_country:
        reasons.append(_("Give the destination."))
    elif str(destination_country).upper() == "BE":
        reasons.append(_("The destination cannot be Belgium: a departure leaves the territory."))
    if travellers < 1:
        reasons.append(_("At least one person travels."))
    if Referral.objects.filter(case=case, stage__in=ACTIVE_REFERRAL_STAGES).exists():
        reasons.append(_("This case already has an active referral: cancel it first."))
    if reasons:
        raise TransitionRefused(_("The referral cannot be made."), details=reasons)
    assert consent_on is not None and partner is not None  # refused above
    referral = Referral.objects.create(
        case=case, partner=partner, destination_country=destination_country, destination_place=destination_place,
        travellers=travellers, travellers_note=travellers_note, vulnerabilities=vulnerability_flags(case),
        medical_needs=medical_needs, reintegration_wishes=reintegration_wishes, consent_on=consent_on,
        referred_by=actor, stage_at=timezone.now(),
    )
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.REFERRAL,
                 data={"referral": referral.pk, "partner": partner.name, "destination_country": str(destination_country)})
    return referral


def _lock_referral(*, actor: User, referral_id: int) -> tuple[Case, Referral]:
    """The partner reaches only its own referrals; staff those of the cases they may counsel."""
    client = api_client_of(actor)
    known = Referral.objects.filter(pk=referral_id)
    if client is not None:
        if not client.has_scope(ApiClient.Scope.RETURNS_PARTNER):
            raise forbidden(_("This needs the scope returns:partner."))
        known = known.filter(partner=client)
    case_id = known.values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404("No such referral.")
    if client is not None:
        case = Case.objects.select_for_update(of=("self",)).select_related("person").get(pk=case_id)
    else:
        case = access_for_counselling(actor=actor, case_id=case_id, for_update=True)
    return case, Referral.objects.select_for_update().get(pk=referral_id)


@transaction.atomic
def report_referral_stage(*, actor: User, referral_id: int, stage: str, flight: str = "", flight_on: dt.date | None = None,
                          reason: str = "") -> Referral:
    """Accepted, booked (flight and date), cancelled (reason). A repeated report changes nothing."""
    case, referral = _lock_referral(actor=actor, referral_id=referral_id)
    if referral.stage == stage and (referral.flight, referral.flight_on, referral.cancel_reason) == (
        flight if stage == Referral.Stage.BOOKED else referral.flight,
        flight_on if stage == Referral.Stage.BOOKED else referral.flight_on,
        reason if stage == Referral.Stage.CANCELLED else referral.cancel_reason,
    ):
        return referral
    reasons = []
    if stage not in STAGE_SOURCES:
        reasons.append(_("Report accepted, booked or cancelled; a departure is confirmed through the departure endpoint."))
    elif referral.stage not in STAGE_SOURCES[stage]:
        reasons.append(_("A referral that is “%(stage)s” cannot become “%(new)s”.")
                       % {"stage": referral.get_stage_display(), "new": Referral.Stage(stage).label})
    if stage == Referral.Stage.BOOKED:
        if not flight.strip():
            reasons.append(_("Give the flight."))
        if flight_on is None:
            reasons.append(_("Give the flight date."))
        elif flight_on < timezone.localdate():
            reasons.append(_("The flight date cannot be in the past."))
    if stage == Referral.Stage.CANCELLED and not reason.strip():
        reasons.append(_("Give the reason for cancelling."))
    if reasons:
        raise TransitionRefused(_("This stage cannot be reported."), details=reasons)
    from_stage = referral.stage
    referral.stage, referral.stage_at = stage, timezone.now()
    if stage == Referral.Stage.BOOKED:
        referral.flight, referral.flight_on = flight.strip(), flight_on
    if stage == Referral.Stage.CANCELLED:
        referral.cancel_reason = reason
    referral.save()
    data = {"referral": referral.pk, "from_stage": from_stage, "stage": stage}
    if stage == Referral.Stage.BOOKED:
        assert flight_on is not None  # refused above
        data.update(flight=referral.flight, flight_on=flight_on.isoformat())
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.REFERRAL_STAGE, data=data,
                 note=reason if stage == Referral.Stage.CANCELLED else "")
    case.save(update_fields=["updated_at"])
    return referral


def follow_referral_on_state_change(step: StateChanged) -> None:
    """The referral follows the case (inside the transition's transaction, the case row locked):
    a confirmed departure ends it as departed; leaving voluntary return otherwise cancels it.
    Follows every trajectory step (cases/followups.py)."""
    case, actor, from_state, to_state = step.case, step.actor, step.from_state, step.to_state
    active = Referral.objects.select_for_update().filter(case=case, stage__in=ACTIVE_REFERRAL_STAGES).first()
    if active is None:
        return
    if to_state == State.DEPARTED:
        active.stage, active.stage_at = Referral.Stage.DEPARTED, timezone.now()
        active.save(update_fields=["stage", "stage_at", "updated_at"])
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.REFERRAL_STAGE,
                     data={"referral": active.pk, "stage": Referral.Stage.DEPARTED})
    elif from_state == State.VOLUNTARY_RETURN:
        active.stage, active.stage_at = Referral.Stage.CANCELLED, timezone.now()
        active.cancel_reason = _("The case left voluntary return.")
        active.save(update_fields=["stage", "stage_at", "cancel_reason", "updated_at"])
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.REFERRAL_STAGE,
                     data={"referral": active.pk, "stage": Referral.Stage.CANCELLED, "to_state": to_state})


# --- reintegration -----------------------------------------------------------------------
def window_end(referral: Referral) -> dt.date | None:
    departed_on = referral.case.departed_on
    return legal.reintegration_window_end(departed_on=departed_on) if departed_on else None


@transaction.atomic
def record_reintegration_support(*, actor: User, referral_id: int, kind: str, description: str = "", planned_on: dt.date | None = None,
                                 delivered_on: dt.date | None = None, value_eur: int | None = None,
                                 support_id: int | None = None) -> ReintegrationSupport:
    """Support in kind planned, and later delivered (``support_id`` updates an existing line)."""
    case, referral = _lock_referral(actor=actor, referral_id=referral_id)
    reasons = []
    if kind not in ReintegrationSupport.Kind.values:
        reasons.append(_("Choose the kind of support (business, housing, medical, education)."))
    if referral.stage == Referral.Stage.CANCELLED:
        reasons.append(_("This referral was cancelled."))
    if delivered_on is not None:
        if case.departed_on is None:
            reasons.append(_("Support is delivered after the departure is confirmed."))
        elif delivered_on < case.departed_on or delivered_on > timezone.localdate():
            reasons.append(_("Support is delivered between the departure and today."))
    if reasons:
        raise TransitionRefused(_("The support cannot be recorded."), details=reasons)
    if support_id is not None:
        support = referral.support.select_for_update().filter(pk=support_id).first()
        if support is None:
            raise DomainError(_("No such support on this referral."), code="not_found")
        if (support.kind, support.description, support.planned_on, support.delivered_on, support.value_eur) == (
            kind, description, planned_on, delivered_on, value_eur
        ):
            return support
        support.kind, support.description, support.planned_on = kind, description, planned_on
        support.delivered_on, support.value_eur = delivered_on, value_eur
        support.save()
    else:
        support = ReintegrationSupport.objects.create(
            referral=referral, kind=kind, description=description, planned_on=planned_on, delivered_on=delivered_on, value_eur=value_eur
        )
    end = window_end(referral)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.REINTEGRATION_SUPPORT, data={
        "support": support.pk, "support_kind": kind, "delivered_on": delivered_on.isoformat() if delivered_on else None,
        "within_window": bool(delivered_on and end and delivered_on <= end),
    })
    return support


@transaction.atomic
def record_follow_up_contact(*, actor: User, referral_id: int, month: int, contacted_on: dt.date | None, reached: bool = True,
                             note: str = "") -> tuple[FollowUpContact, bool]:
    """A contact at about 1, 3, 6 or 12 months after departure; the same report again is answered
    with the existing row (created False), a different one for the same month is a conflict."""
    case, referral = _lock_referral(actor=actor, referral_id=referral_id)
    existing = referral.follow_ups.filter(month=month).first()
    if existing is not None:
        if (existing.contacted_on, existing.reached, existing.note) == (contacted_on, reached, note):
            return existing, False
        raise Conflict(_("The follow-up at %(month)s month(s) is already recorded with other content.") % {"month": month})
    reasons = []
    if month not in FOLLOW_UP_MONTHS:
        reasons.append(_("Follow-up contacts are at 1, 3, 6 or 12 months after departure."))
    if case.departed_on is None or referral.stage != Referral.Stage.DEPARTED:
        reasons.append(_("Follow-up after return starts once the departure is confirmed."))
    if contacted_on is None:
        reasons.append(_("Give the day of the contact."))
    elif (case.departed_on and contacted_on < case.departed_on) or contacted_on > timezone.localdate():
        reasons.append(_("The contact falls between the departure and today."))
    if reasons:
        raise TransitionRefused(_("The follow-up contact cannot be recorded."), details=reasons)
    assert contacted_on is not None  # refused above
    contact = FollowUpContact.objects.create(referral=referral, month=month, contacted_on=contacted_on, reached=reached, note=note)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.FOLLOW_UP_CONTACT, note=note,
                 data={"follow_up": contact.pk, "month": month, "reached": reached})
    return contact, True

