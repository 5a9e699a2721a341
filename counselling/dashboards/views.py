"""The dashboards in the browser: parse the period or office, call a selector, render.

With htmx, changing a filter or pressing "refresh" swaps only the dashboard body; without
JavaScript the same forms are plain GET forms.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.access_log import export_detail, record_access
from cases.caseload import CaseloadFilter
from cases.selectors import cases_visible_to
from counselling.dashboards import exports, panels
from counselling.dashboards.cache import cached_national_dashboard, cached_office_dashboard, cached_planning_capacity
from counselling.dashboards.live import live_tiles
from counselling.dashboards.selectors import (
    Clock,
    Quarter,
    conversations_of,
    dashboard_offices,
    recent_quarters,
)
from counselling.models import Conversation


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _office_context(request):
    offices = dashboard_offices(request.user)
    if not offices:
        raise PermissionDenied
    chosen = _int(request.GET.get("office"))
    if chosen is None:
        office = offices[0]
    else:
        theirs = next((o for o in offices if o.pk == chosen), None)
        if theirs is None:  # not one of theirs: it does not exist for them
            raise Http404
        office = theirs
    # Authorised above for this office: its cached figures are the same for everyone who may see it.
    dashboard = cached_office_dashboard(office=office, refresh=request.GET.get("refresh") == "1")
    unplannable, earliest = cached_planning_capacity(office=office, refresh=request.GET.get("refresh") == "1")
    page = panels.office_page(dashboard)
    page["tiles"] = live_tiles(request.user, page["tiles"])  # proposals waiting: live, never cached
    return {"nav": "office", "offices": offices, "office": office, "dashboard": dashboard, "clock": dashboard.clock,
            "export_query": f"office={office.pk}", "unplannable": unplannable, "earliest_free_slot": earliest, **page}


def _require_national(user) -> None:
    if not user.has_perm("cases.view_all_cases"):
        raise PermissionDenied


def _national_context(request):
    _require_national(request.user)
    clock = Clock.start()
    quarters = recent_quarters(clock.today)
    quarter = Quarter.parse(request.GET.get("quarter"), default=quarters[0])
    if quarter not in quarters:
        quarters = sorted({*quarters, quarter}, key=lambda q: (q.year, q.number), reverse=True)
    dashboard = cached_national_dashboard(quarter=quarter, refresh=request.GET.get("refresh") == "1")
    clock = dashboard.clock
    page = panels.national_page(dashboard)
    page["tiles"] = live_tiles(request.user, page["tiles"])
    return {"nav": "national", "quarters": quarters, "quarter": quarter, "dashboard": dashboard, "clock": clock,
            "export_query": f"quarter={quarter}", **page}


@require_GET
@login_required
def office(request):
    context = _office_context(request)
    template = "dashboards/partials/office_body.html" if request.htmx else "dashboards/office.html"
    return render(request, template, context)


@require_GET
@login_required
def national(request):
    context = _national_context(request)
    template = "dashboards/partials/national_body.html" if request.htmx else "dashboards/national.html"
    return render(request, template, context)


@require_GET
@login_required
def export_table(request, page: str, table: str):
    """One table of a dashboard as CSV, for the same office or quarter as on screen."""
    if page == "office":
        context = _office_context(request)
        filename = f"{context['office'].code}-{table}"
    elif page == "national":
        context = _national_context(request)
        filename = f"national-{table}" + (f"-{context['quarter']}" if table == "eurostat" else "")
    else:
        raise Http404
    found = context["tables"].get(table)
    if found is None:
        raise Http404
    record_access(actor=request.user, via="export_table", detail={**export_detail(request, len(found.rows)), "table": f"{page}/{table}"})
    return exports.table_response(found, filename)


@require_GET
@login_required
def export_cases(request):
    """The caseload as CSV: every case the user may see, filtered with the caseload's own
    parameters (so a dashboard link with ``/export/cases/`` instead of the caseload path gives
    the same cases)."""
    cases = CaseloadFilter.from_params(request.GET).apply(cases_visible_to(request.user))
    ids = list(cases.values_list("pk", flat=True))
    record_access(actor=request.user, via="export_cases", cases=ids, detail=export_detail(request, len(ids)))
    return exports.csv_response(exports.case_rows(cases), "cases")


def _conversations(request):
    conversations = conversations_of(cases_visible_to(request.user))
    office = _int(request.GET.get("office"))
    counsellor = _int(request.GET.get("counsellor"))
    since, until = _date(request.GET.get("since")), _date(request.GET.get("until"))
    statuses = [s for s in request.GET.getlist("status") if s in Conversation.Status.values]
    if office:
        conversations = conversations.filter(case__office_id=office)
    if counsellor:
        conversations = conversations.filter(counsellor_id=counsellor)
    if since:
        conversations = conversations.filter(planned_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)))
    if until:
        conversations = conversations.filter(planned_at__lt=timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)))
    if statuses:
        conversations = conversations.filter(status__in=statuses)
    filters = {"office": office, "counsellor": counsellor, "since": since, "until": until, "statuses": statuses}
    return conversations.order_by("planned_at", "id"), filters


@require_GET
@login_required
def conversations(request):
    """The conversations behind a weekly or per-counsellor figure (a drill-down the caseload,
    which lists cases, cannot give)."""
    found, filters = _conversations(request)
    if request.GET.get("format") == "csv":
        rows = list(found.values_list("case_id", flat=True))
        record_access(actor=request.user, via="export_conversations", cases=sorted(set(rows)), detail=export_detail(request, len(rows)))
        return exports.csv_response(exports.conversation_rows(found), "conversations")
    page = Paginator(found.select_related("case", "counsellor", "case__office"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    return render(request, "dashboards/conversations.html", {
        "nav": "office", "page": page, "filters": filters, "csv_query": query.urlencode(),
        "statuses": [Conversation.Status(s).label for s in filters["statuses"]],
    })
