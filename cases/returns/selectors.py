"""Reads of the return work: the case page's part, the counsellor's timers, the managers'
overdue list and the national figures. Every list starts from ``cases_visible_to``."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone
from django_countries.fields import Country

from cases import legal
from cases.api.models import ApiClient
from cases.models import OPEN_STATES, Case
from cases.returns.care import FitnessOpinion, RemovalOperation, Vulnerability
from cases.returns.models import ACTIVE_REFERRAL_STAGES, FOLLOW_UP_MONTHS, ConsularRequest, FollowUpContact, Referral, ReintegrationSupport, TravelDocument
from cases.returns.timers import due_reason
from cases.selectors import cases_visible_to
from returnpath.preload import attach, first, first_of, rows


def vulnerability_of(case: Case) -> Vulnerability | None:
    return first(case, Vulnerability.objects.filter(case=case))


def current_unfit_opinion(case: Case) -> FitnessOpinion | None:
    return first(case, case.fitness_opinions.filter(lifted_on__isnull=True))


def _active_referral(case: Case):
    return Referral.objects.filter(case_id=case.pk, stage__in=ACTIVE_REFERRAL_STAGES)


def active_referral(case: Case) -> Referral | None:
    """The referral under way, if any (the flags shown on every page of the case)."""
    return first(case, _active_referral(case))


def _active_clients():
    return ApiClient.objects.filter(is_active=True).order_by("name")


def partners(case: Case | None = None) -> list[ApiClient]:
    """The active return partners (``case``: served from the case page's preloaded rows)."""
    return [c for c in rows(case, _active_clients()) if c.has_scope(ApiClient.Scope.RETURNS_PARTNER)]


def _case_returns_querysets(case: Case) -> dict:
    return {
        "consular_requests": case.consular_requests.all(),
        "referrals": case.referrals.select_related("partner"),
        "support": ReintegrationSupport.objects.filter(referral__case=case),
        "follow_ups": FollowUpContact.objects.filter(referral__case=case),
        "travel_documents": case.travel_documents.all(),
        "fitness_opinions": case.fitness_opinions.all(),
        "removal_operations": case.removal_operations.all(),
        "documents": case.documents.select_related("uploaded_by"),
    }


def page_querysets(case: Case) -> list:
    """What the case page reads here, for ``returnpath.preload`` (decision 071)."""
    return [
        *_case_returns_querysets(case).values(), first_of(Vulnerability.objects.filter(case=case)),
        first_of(case.fitness_opinions.filter(lifted_on__isnull=True)), first_of(_active_referral(case)), _active_clients(),
    ]


@dataclass
class FollowUpSlot:
    month: int
    due_on: dt.date
    contact: object | None = None


def follow_up_slots(referral: Referral) -> list[FollowUpSlot]:
    departed_on = referral.case.departed_on
    if not departed_on:
        return []
    done = {c.month: c for c in referral.follow_ups.all()}
    return [FollowUpSlot(m, legal.add_months(departed_on, m), done.get(m)) for m in FOLLOW_UP_MONTHS]


def case_returns(case: Case) -> dict:
    """What the case page shows of the return work (a handful of small queries)."""
    today = timezone.localdate()
    read = {name: rows(case, queryset) for name, queryset in _case_returns_querysets(case).items()}
    requests = read["consular_requests"]
    for request in requests:
        request.due_why = due_reason(request)
        request.overdue = bool(request.due_on and request.due_on <= today)
    referrals = read["referrals"]
    for referral in referrals:  # what prefetch_related("support", "follow_ups") did, from the same read
        for name in ("support", "follow_ups"):
            mine = [row for row in read[name] if row.referral_id == referral.pk]
            for row in mine:
                row.referral = referral
            attach(referral, name, mine)
    window = legal.reintegration_window_end(departed_on=case.departed_on) if case.departed_on else None
    for referral in referrals:
        referral.slots = follow_up_slots(referral)
        referral.window_end = window
    return {
        "travel_documents": read["travel_documents"],
        "consular_requests": requests,
        "referrals": referrals,
        "active_referral": next((r for r in referrals if r.is_active), None),
        "reintegration_window_end": window,
        "vulnerability": vulnerability_of(case),
        "unfit_opinion": current_unfit_opinion(case),
        "fitness_opinions": read["fitness_opinions"],
        "removal_operations": read["removal_operations"],
        "documents": read["documents"],
    }


# --- timers --------------------------------------------------------------------------------
def due_consular_requests(cases) -> list[ConsularRequest]:
    """Pending requests whose due date has come (or comes within the interview lead time)."""
    horizon = timezone.localdate() + dt.timedelta(days=settings.RETURNPATH_CONSULAR_INTERVIEW_LEAD_DAYS)
    requests = list(
        ConsularRequest.objects.filter(case__in=cases.filter(state__in=OPEN_STATES), answer=ConsularRequest.Answer.PENDING,
                                       due_on__lte=horizon)
        .select_related("case__person").order_by("due_on", "id")[:200]
    )
    for request in requests:
        assert request.due_on is not None  # filtered on due_on__lte
        request.due_why = due_reason(request)
        request.overdue = request.due_on <= timezone.localdate()
    return requests


def timers_for_counsellor(user) -> dict:
    """My day: the consular requests to act on and the referrals under way (stage, flight), own cases."""
    mine = cases_visible_to(user).filter(counsellor=user)
    referrals = list(
        Referral.objects.filter(case__in=mine, stage__in=ACTIVE_REFERRAL_STAGES)
        .select_related("case__person", "partner").order_by(F("flight_on").asc(nulls_last=True), "-stage_at")[:100]
    )
    return {"consular_due": due_consular_requests(mine), "referrals": referrals}


def overdue_for_managers(user) -> list[ConsularRequest]:
    """The managers' view: every pending request past its due date in the visible cases."""
    visible = cases_visible_to(user).filter(state__in=OPEN_STATES)
    requests = list(
        ConsularRequest.objects.filter(case__in=visible, answer=ConsularRequest.Answer.PENDING, due_on__lte=timezone.localdate())
        .select_related("case__person", "case__office", "case__counsellor").order_by("due_on", "id")[:500]
    )
    today = timezone.localdate()
    for request in requests:
        assert request.due_on is not None  # filtered on due_on__lte
        request.due_why = due_reason(request)
        request.days_overdue = (today - request.due_on).days
    return requests


# --- figures -------------------------------------------------------------------------------
@dataclass
class CountryFigures:
    country: Country
    requests: int = 0
    answered: int = 0
    issued: int = 0
    refused: int = 0
    no_answer: int = 0
    pending: int = 0
    days: list[int] = field(default_factory=list)

    @property
    def mean_days(self) -> float | None:
        return round(statistics.fmean(self.days), 1) if self.days else None

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days) if self.days else None


def identification_figures(user) -> list[CountryFigures]:
    """Per country of return: requests, answers, days to answer (issued or refused), documents
    issued. One query; the days are kept per country for the median (thousands a year)."""
    rows = ConsularRequest.objects.filter(case__in=cases_visible_to(user)).values_list("country", "answer", "sent_on", "answered_on")
    by_country: dict[str, CountryFigures] = {}
    for country, answer, sent_on, answered_on in rows.iterator(chunk_size=2000):
        # The field's descriptor gives a Country (the django-stubs plugin types a CountryField as its str column).
        shown = cast(Country, ConsularRequest(country=country).country)
        figures = by_country.setdefault(country, CountryFigures(country=shown))
        figures.requests += 1
        if answer == ConsularRequest.Answer.PENDING:
            figures.pending += 1
            continue
        if answer == ConsularRequest.Answer.NO_ANSWER:
            figures.no_answer += 1
            continue
        figures.answered += 1
        assert answered_on is not None  # a check constraint: an answer has its date
        figures.days.append((answered_on - sent_on).days)
        if answer == ConsularRequest.Answer.ISSUED:
            figures.issued += 1
        else:
            figures.refused += 1
    return sorted(by_country.values(), key=lambda f: (-f.requests, str(f.country.name)))


@dataclass
class SupportFigures:
    kind: str
    label: str
    planned: int = 0
    delivered: int = 0
    within_window: int = 0


def reintegration_figures(user) -> list[SupportFigures]:
    """Per kind of support: lines planned, delivered, delivered within 12 months of departure."""
    figures = {k: SupportFigures(k, str(label)) for k, label in ReintegrationSupport.Kind.choices}
    rows = ReintegrationSupport.objects.filter(referral__case__in=cases_visible_to(user)).values_list(
        "kind", "delivered_on", "referral__case__departed_on"
    )
    for kind, delivered_on, departed_on in rows.iterator(chunk_size=2000):
        line = figures[kind]
        line.planned += 1
        if delivered_on:
            line.delivered += 1
            if departed_on and delivered_on <= legal.reintegration_window_end(departed_on=departed_on):
                line.within_window += 1
    return list(figures.values())


def removal_and_referral_figures(user) -> dict:
    visible = cases_visible_to(user)
    removals = RemovalOperation.objects.filter(case__in=visible).aggregate(
        planned=Count("id", filter=Q(status=RemovalOperation.Status.PLANNED)),
        carried_out=Count("id", filter=Q(status=RemovalOperation.Status.CARRIED_OUT)),
        refused_boarding=Count("id", filter=Q(status=RemovalOperation.Status.REFUSED_BOARDING)),
        cancelled=Count("id", filter=Q(status=RemovalOperation.Status.CANCELLED)),
    )
    referrals = dict(Referral.objects.filter(case__in=visible).values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    follow_ups = dict(
        FollowUpContact.objects.filter(referral__case__in=visible).values_list("month").annotate(n=Count("id")).values_list("month", "n")
    )
    return {
        "removals": removals,
        "referrals": [(label, referrals.get(value, 0)) for value, label in Referral.Stage.choices],
        "documents_missing": TravelDocument.objects.filter(case__in=visible.filter(state__in=OPEN_STATES),
                                                           status=TravelDocument.Status.MISSING).count(),
        "follow_ups": [(month, follow_ups.get(month, 0)) for month in FOLLOW_UP_MONTHS],
    }

