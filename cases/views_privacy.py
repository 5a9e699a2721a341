"""Data-protection pages: who looked at a case, one person's access history, the person's
access export (GDPR art. 15). Each is itself a logged read (decisions 022, 026)."""

from __future__ import annotations

import csv
import io
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.access_log import record_access
from cases.history import field_changes
from cases.models import CaseAccess
from cases.selectors import access_case, is_coordinator
from cases.subject_access import subject_access_report

ACCESS_COLUMNS = ("at", "user_label", "client_label", "via", "case_id", "result", "address", "user_agent", "detail")


def may_see_access_log(user) -> bool:
    """Office managers (for their offices' cases) and coordinators."""
    return is_coordinator(user) or user.has_perm("cases.reassign_case")


@login_required
@require_GET
def case_access_log(request, case_id: int):
    if not may_see_access_log(request.user):
        raise PermissionDenied
    case = access_case(actor=request.user, case_id=case_id, log_via="access_log")
    rows = CaseAccess.objects.filter(case=case).order_by("-at", "-id")[:500]
    return render(request, "privacy/access_log.html", {"case": case, "rows": rows, "nav": "caseload"})


@login_required
@require_GET
def person_access_export(request, case_id: int):
    """Every logged read of any case of this case's person, as CSV (coordinators)."""
    if not is_coordinator(request.user):
        raise PermissionDenied
    case = access_case(actor=request.user, case_id=case_id)
    rows = list(CaseAccess.objects.filter(case__person_id=case.person_id).order_by("at", "id").values_list(*ACCESS_COLUMNS))
    record_access(actor=request.user, via="access_export", cases=[case], detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ACCESS_COLUMNS)
    for row in rows:
        writer.writerow([value.isoformat() if hasattr(value, "isoformat") else json.dumps(value) if isinstance(value, dict)
                         else ("" if value is None else value) for value in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-history-person-{case.person_id}.csv"'
    return response


@login_required
@require_GET
def case_history(request, case_id: int):
    """Field-level history of the case and what hangs off it (office managers, coordinators)."""
    if not may_see_access_log(request.user):
        raise PermissionDenied
    case = access_case(actor=request.user, case_id=case_id, log_via="history")
    return render(request, "privacy/history.html", {"case": case, "changes": field_changes(case), "nav": "caseload"})


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (for example the reference of the person's request)"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


@login_required
@require_http_methods(["GET", "POST"])
def subject_access_export(request, case_id: int):
    """Everything held about the person (GDPR art. 15), as JSON, with a reason (coordinators)."""
    if not is_coordinator(request.user):
        raise PermissionDenied
    case = access_case(actor=request.user, case_id=case_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = subject_access_report(case.person)
        cases = [c["id"] for c in report["cases"]]
        record_access(actor=request.user, via="subject_access", cases=cases, detail={"reason": form.cleaned_data["reason"]})
        report["exported_at"] = timezone.now().isoformat()
        report["reason"] = form.cleaned_data["reason"]
        body = json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="subject-access-person-{case.person_id}.json"'
        return response
    return render(request, "privacy/subject_access.html", {"case": case, "form": form, "nav": "caseload"})
