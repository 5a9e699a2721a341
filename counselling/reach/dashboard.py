"""The show-up dashboard (managers: their offices; the coordinator: every office)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from counselling.dashboards.selectors import dashboard_offices
from counselling.reach import figures
from counselling.reach.charts import rate_chart

DEFAULT_DAYS = 90


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
@require_GET
def show_up(request):
    offices = dashboard_offices(request.user)
    if not offices:
        raise PermissionDenied
    today = timezone.localdate()
    until = _date(request.GET.get("until"), today)
    since = _date(request.GET.get("since"), until - dt.timedelta(days=DEFAULT_DAYS))
    office_ids = [o.pk for o in offices]
    chosen = request.GET.get("office")
    if chosen:
        if not chosen.isdigit() or int(chosen) not in office_ids:
            raise Http404
        office_ids = [int(chosen)]
    data = figures.show_up(request.user, since=since, until=until, office_ids=office_ids)
    dimension_names = {"office": _("By office"), "language": _("By language"), "channel": _("By channel"), "target_group": _("By target group")}
    sections = []
    for key, rows_by in (("first", data.first), ("follow_up", data.follow_up)):
        heading = _("First invitations") if key == "first" else _("Follow-up conversations")
        charts = []
        for dimension in figures.DIMENSIONS:
            rows = rows_by.get(dimension, [])
            charts.append({
                "id": f"{key}-{dimension}", "name": dimension_names[dimension], "rows": rows,
                "svg": rate_chart(
                    rows=rows, baseline=figures.BASELINE_RATE, baseline_label=figures.BASELINE_LABEL,
                    title=f"{heading} — {dimension_names[dimension]}",
                    desc=_("Show-up rate per group (held of held and no-show); the dashed line is the 2021 baseline of 41 %."),
                ) if rows else None,
            })
        sections.append({"id": key, "heading": heading, "total": data.first_total if key == "first" else data.follow_up_total, "charts": charts})
    return render(request, "reach/show_up.html", {
        "nav": "show_up", "offices": offices, "chosen": chosen or "", "data": data, "sections": sections,
        "baseline": f"{figures.BASELINE_RATE * 100:.0f} %", "baseline_label": figures.BASELINE_LABEL,
    })
