"""Reads of the dates the law sets for a case and of its detention title (case page and API)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Subquery
from django.utils import timezone

from cases import legal
from cases.models import Case, DetentionDecision, DetentionPeriod, OrderToLeave
from returnpath.preload import first_of, rows


@dataclass(frozen=True)
class LegalDates:
    """Every date the law sets that a counsellor or an integrator must see (issue 9 point 6)."""

    current_order: str | None = None
    appeal_deadline: dt.date | None = None  # annulment/suspension appeal: 30 days, 10 when detained
    appeal_window_days: int | None = None
    extreme_urgency_deadline: dt.date | None = None  # 10 days, 5 against a second removal measure
    extreme_urgency_window_days: int | None = None
    detained_at_notification: bool = False
    second_removal_measure: bool = False
    entry_ban_years: int = 0
    entry_ban_ends_on: dt.date | None = None  # from actual departure or removal (CJEU Ouhrami C-225/16)
    reintegration_window_ends_on: dt.date | None = None  # 12 months from departure


def _detained_on(periods: list[DetentionPeriod], day: dt.date) -> bool:
    return any(p.started_on <= day and (p.ended_on is None or day <= p.ended_on) for p in periods)


def legal_dates(case: Case, *, orders: list[OrderToLeave] | None = None, periods: list[DetentionPeriod] | None = None) -> LegalDates:
    """The dates of ``cases.legal`` applied to the case's current order and outcome."""
    orders = rows(case, case.orders.all()) if orders is None else orders
    if not orders:
        return LegalDates()
    periods = rows(case, case.detention_periods.all()) if periods is None else periods
    current = max(orders, key=lambda o: (o.notified_on, o.pk))
    # Aliens Act art. 39/57 §1: 10 days when the person is held at notification.
    detained = _detained_on(periods, current.notified_on)
    # A second removal measure: an earlier order on this case, or on an earlier case of the person
    # (annotated by list views as ``earlier_orders_elsewhere``; one query otherwise).
    second = len(orders) > 1 or bool(
        getattr(case, "earlier_orders_elsewhere", None)
        if hasattr(case, "earlier_orders_elsewhere")
        else rows(case, _earlier_order_elsewhere(case))
    )
    appeal_days = legal.appeal_window_days(legal.Appeal.ANNULMENT_SUSPENSION, detained=detained)
    urgency_days = legal.appeal_window_days(legal.Appeal.EXTREME_URGENCY, second_removal_measure=second)
    left_on = case.departed_on or case.removed_on
    ban_years = current.entry_ban_years
    return LegalDates(
        current_order=current.external_reference,
        appeal_deadline=legal.appeal_deadline(legal.Appeal.ANNULMENT_SUSPENSION, notified_on=current.notified_on, detained=detained),
        appeal_window_days=appeal_days,
        extreme_urgency_deadline=legal.appeal_deadline(
            legal.Appeal.EXTREME_URGENCY, notified_on=current.notified_on, second_removal_measure=second),
        extreme_urgency_window_days=urgency_days,
        detained_at_notification=detained,
        second_removal_measure=second,
        entry_ban_years=ban_years,
        entry_ban_ends_on=legal.entry_ban_end(departed_on=left_on, years=ban_years) if left_on else None,
        reintegration_window_ends_on=legal.reintegration_window_end(departed_on=case.departed_on) if case.departed_on else None,
    )


def _earlier_order_elsewhere(case: Case):
    """One order of the person's other cases notified before this case's current order (its latest)."""
    latest = case.orders.order_by("-notified_on", "-pk").values("notified_on")[:1]
    return earlier_orders_elsewhere(case).filter(notified_on__lt=Subquery(latest)).only("pk")[:1]


def earlier_orders_elsewhere(case: Case):
    """Orders to leave the person received on their other cases (a person who came back)."""
    return OrderToLeave.objects.filter(case__person_id=case.person_id).exclude(case_id=case.pk)


def annotate_earlier_orders(cases):
    """For lists: whether the person had an order on another case before this case opened."""
    from django.db.models import Exists, OuterRef

    return cases.annotate(earlier_orders_elsewhere=Exists(
        OrderToLeave.objects.filter(case__person_id=OuterRef("person_id"), notified_on__lt=OuterRef("opened_at__date"))
        .exclude(case_id=OuterRef("pk"))
    ))


@dataclass
class DetentionSummary:
    """The current (or last) detention title: start, days held, current limit, decisions."""

    period: DetentionPeriod
    started_on: dt.date
    ended_on: dt.date | None
    days_held: int
    limit: dt.date
    limit_months: int
    days_to_limit: int | None
    decisions: list[DetentionDecision] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @property
    def limit_passed(self) -> bool:
        return self.is_open and timezone.localdate() > self.limit


def _last_period(case: Case):
    return first_of(case.detention_periods.order_by("-started_on", "-id"))


def _decisions_of_last_period(case: Case):
    return (DetentionDecision.objects.filter(period__in=_last_period(case).values("pk"))
            .select_related("decided_by", "confirmed_by", "facility").order_by("created_at", "id"))


def _pending_detention_decisions(case: Case):
    return case.detention_decisions.filter(status=DetentionDecision.Status.PENDING).select_related("decided_by", "facility", "period")


def _term_decisions(case: Case):
    return case.term_decisions.order_by("decided_on", "id")


def page_querysets(case: Case) -> list:
    """What the case page reads here, for ``returnpath.preload`` (decision 071)."""
    return [case.detention_periods.all(), _last_period(case), _earlier_order_elsewhere(case), _decisions_of_last_period(case),
            _pending_detention_decisions(case), _term_decisions(case)]


def term_decisions(case: Case) -> list:
    return rows(case, _term_decisions(case))


def detention_summary(case: Case) -> DetentionSummary | None:
    found = rows(case, _last_period(case))
    if not found:
        return None
    period = found[0]
    decisions = rows(case, _decisions_of_last_period(case))
    for decision in decisions:
        decision.period = period  # as period.decisions would have set it
    limit = period.limit_date
    return DetentionSummary(
        period=period, started_on=period.started_on, ended_on=period.ended_on, days_held=period.days_held,
        limit=limit, limit_months=period.limit_months,
        days_to_limit=(limit - timezone.localdate()).days if period.is_open else None, decisions=decisions,
    )


def pending_detention_decisions(case: Case) -> list[DetentionDecision]:
    return rows(case, _pending_detention_decisions(case))
