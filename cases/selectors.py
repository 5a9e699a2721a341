"""Reads of cases: the visibility gate, and the lookups every interface shares."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _

from cases import legal
from cases.models import OPEN_STATES, Case, CaseAccess, OrderToLeave, Referral
from returnpath.actors import User


def is_coordinator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("cases.view_all_cases"))


def office_ids_of(user) -> list[int]:
    if not user or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return []
    cached = getattr(user, "_returnpath_office_ids", None)
    if cached is None:
        cached = list(user.memberships.filter(is_active=True).values_list("office_id", flat=True))
        user._returnpath_office_ids = cached
    return cached


def cases_visible_to(user) -> QuerySet[Case]:
    """The one place that decides which cases a staff member may see.

    Coordinators (and superusers) see every case; everyone else the cases of the offices they
    belong to. An API client's own scoping is in ``cases.api`` on top of this for its user.
    """
    cases = Case.objects.all()
    if not user or not user.is_authenticated or not user.is_active:
        return cases.none()
    if is_coordinator(user):
        return cases
    api_client = getattr(user, "api_client", None) if hasattr(user, "api_client") else None
    if api_client is not None:
        if not api_client.is_active:
            return cases.none()
        if api_client.has_scope("cases:read_all"):
            return cases
        # A subquery, not a join + DISTINCT: services lock the row (FOR UPDATE refuses DISTINCT).
        own = Q(pk__in=OrderToLeave.objects.filter(client=api_client).values("case_id"))
        if api_client.has_scope("returns:partner"):
            # A return partner sees the cases referred to it, and no other (cases.returns).
            own |= Q(pk__in=Referral.objects.filter(partner=api_client).values("case_id"))
        return cases.filter(own)
    return cases.filter(office_id__in=office_ids_of(user))


def access_case(*, actor: User, case_id: int, for_update: bool = False, log_via: str = "") -> Case:
    """Fetch a case the actor may see, optionally locked; anything else is "not found".

    ``log_via`` records the read in the access log (case page, API): DESIGN §7.
    """
    queryset = cases_visible_to(actor).select_related("person", "playbook", "office", "counsellor")
    if for_update:
        # Lock only the case row: select_related's other tables need no lock (and nullable
        # joins cannot be locked on PostgreSQL).
        queryset = queryset.select_for_update(of=("self",))
    try:
        case = queryset.get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        if log_via:  # a probe of another office's or client's case is worth knowing about too
            from cases.access_log import record_access

            record_access(actor=actor, via=log_via, result=CaseAccess.Result.NOT_FOUND, detail={"case_id": str(case_id)[:40]})
        raise Http404("No such case.") from None
    if log_via:
        from cases.access_log import record_access

        record_access(actor=actor, via=log_via, cases=[case])
    return case


def deadline_explanation(case: Case, orders: list) -> list[str]:
    # ``orders``: the case's orders, newest notification first (as Case.orders orders them).
    """Why the departure deadline is what it is, in sentences (from the legal clock)."""
    if case.departure_deadline is None:
        return [_("No departure deadline is known for this case.")]
    lines = []
    latest = orders[0] if orders else None
    if latest is not None:
        lines.append(
            _("The order %(reference)s was notified on %(notified)s with a departure term of %(days)s days.")
            % {"reference": latest.external_reference, "notified": formats.date_format(latest.notified_on), "days": latest.departure_term_days}
        )
        if latest.departure_term_days < legal.FULL_TERM_DAYS:
            lines.append(_("The term is shorter than 30 days. Reason given: %(reason)s") % {"reason": latest.term_reason or "—"})
        end_of_term = latest.notified_on + dt.timedelta(days=latest.departure_term_days)
        if latest.departure_term_days and latest.departure_deadline != end_of_term:
            why = _("a public holiday") if end_of_term.weekday() < 5 else formats.date_format(end_of_term, "l")
            lines.append(
                _("The term ends on %(end)s, %(why)s, so the deadline moves to the next working day: %(deadline)s.")
                % {"end": formats.date_format(end_of_term), "why": why, "deadline": formats.date_format(latest.departure_deadline)}
            )
        if len(orders) > 1:
            lines.append(
                _("This person received a repeat order: %(count)s orders are attached to this case and the deadline follows the latest one.")
                % {"count": len(orders)}
            )
        if case.departure_deadline != latest.departure_deadline:
            lines.append(
                _("The deadline was later set to %(deadline)s, when orientation resumed after a legal procedure (see the timeline).")
                % {"deadline": formats.date_format(case.departure_deadline)}
            )
    else:
        lines.append(_("No order to leave is attached to this case: the deadline was entered directly."))
    if case.pending_suspensive_procedures:
        lines.append(_("A suspensive legal procedure is pending: the person may not be removed while it runs."))
    return lines


def default_counsellor_filter(user) -> str:
    """The caseload's counsellor filter when none is chosen: a counsellor's own cases ("" for
    someone who carries no open case, e.g. a manager or the coordinator: the whole scope)."""
    if not user.is_authenticated:
        return ""
    if Case.objects.filter(counsellor=user, state__in=OPEN_STATES).exists():
        return str(user.pk)
    return ""
