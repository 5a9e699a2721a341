"""The caseload and the case page. Views parse, call one service, render (STYLE.md)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from cases import services
from cases.access_log import record_access
from cases.case_page import case_context, timeline
from cases.caseload import CaseloadFilter, extra_filters
from cases.forms import (
    AddressForm,
    BestInterestForm,
    CaseloadFilterForm,
    DecideProcedureForm,
    DeclineProposalForm,
    EndPlacementForm,
    PlacementForm,
    ProcedureForm,
    ProposeEscalationForm,
    TransitionForm,
    caseload_choices,
)
from cases.models import Case, LegalProcedure, Placement, State
from cases.selectors import access_case, cases_visible_to, default_counsellor_filter
from cases.steps import STEPS
from returnpath.errors import Conflict, DomainError

PAGE_SIZE = 25
COUNT_CAP = 1000
SEARCH_SESSION_KEY = "caseload_searches"


# --- Caseload ----------------------------------------------------------------------------

def _remember_search(request, q: str) -> str:
    """Keep a search term in the session and hand out an opaque reference for the URL.

    Names and national numbers are personal data: they must not end up in URLs (browser
    history, proxy and server logs), so the search is posted and the page URL carries a token.
    """
    searches = dict(request.session.get(SEARCH_SESSION_KEY, {}))
    token = secrets.token_urlsafe(6)
    searches[token] = q
    request.session[SEARCH_SESSION_KEY] = dict(list(searches.items())[-20:])
    return token


def _params(request) -> QueryDict:
    params = request.GET.copy()
    token = params.get("search")
    if token:
        params["q"] = request.session.get(SEARCH_SESSION_KEY, {}).get(token, "")
    return params


def _filter_url(data: QueryDict, token: str | None) -> str:
    query = QueryDict(mutable=True)
    for key in data:
        if key in ("csrfmiddlewaretoken", "q", "page", "search"):
            continue
        values = [v for v in data.getlist(key) if v not in ("", None)]
        if values:
            query.setlist(key, values)
    if token:
        query["search"] = token
    encoded = query.urlencode()
    return reverse("cases:caseload") + (f"?{encoded}" if encoded else "")


@login_required
@require_http_methods(["GET", "POST"])
def caseload(request):
    if request.method == "POST":
        q = (request.POST.get("q") or "").strip()[:100]
        url = _filter_url(request.POST, _remember_search(request, q) if q else None)
        if not request.htmx:
            return HttpResponseRedirect(url)
        # htmx: answer with the results at once and put the clean URL in the address bar.
        request.GET = QueryDict(url.partition("?")[2])
        return push_url(_caseload_page(request), url)
    return _caseload_page(request)


def _caseload_page(request):
    params = _params(request)
    if "counsellor" not in params:
        # A counsellor's caseload opens on their own cases ("Anyone" shows the whole office).
        mine = default_counsellor_filter(request.user)
        if mine:
            params["counsellor"] = mine
    caseload_filter = CaseloadFilter.from_params(params)
    try:
        page = max(1, int(params.get("page", 1)))
    except ValueError:
        page = 1
    offset = (page - 1) * PAGE_SIZE
    # A capped count: "1,000+" is as useful to a counsellor as the exact figure, and far cheaper. A
    # search matches at most COUNT_CAP + 1 cases (decision 072): past that, more words or a filter, not more pages.
    listed = caseload_filter.page(cases_visible_to(request.user), offset=offset, size=PAGE_SIZE, cap=COUNT_CAP)
    rows, has_next, total = listed.rows, listed.has_next, listed.total
    # The names on the page are a read too (decision 022); the search words are not logged.
    record_access(actor=request.user, via="caseload", cases=rows, detail={"page": page, "searched": bool(caseload_filter.q)})
    offices, counsellors = caseload_choices(request.user)
    initial = {key: params.getlist(key) if key == "flag" else params.get(key) for key in params}
    initial["state"] = params.get("state") or "open"
    form = CaseloadFilterForm(initial=initial, offices=offices, counsellors=counsellors)
    base_query = request.GET.copy()
    base_query.pop("page", None)
    context = {
        "form": form,
        "cases": rows,
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "first_index": offset + 1,
        "last_index": offset + len(rows),
        "total": min(total, COUNT_CAP),
        "total_capped": total > COUNT_CAP,
        "sort": caseload_filter.sort,
        "searching": bool(caseload_filter.q),
        "search_capped": bool(caseload_filter.q) and total > COUNT_CAP,
        "extra_filters": extra_filters(params),
        "today": timezone.localdate(),
        "nav": "caseload",
    }
    template = "cases/partials/caseload_results.html" if request.htmx else "cases/caseload.html"
    return render(request, template, context)


# --- The case page (what it shows: cases.case_page) ----------------------------------------

@login_required
@require_GET
def case_detail(request, case_id: int):
    case = access_case(actor=request.user, case_id=case_id, log_via="web")
    return render(request, "cases/case_detail.html", case_context(request, case))


@login_required
@require_GET
def case_timeline(request, case_id: int):
    """The next page of the timeline (htmx "show older")."""
    case = access_case(actor=request.user, case_id=case_id, log_via="timeline")
    try:
        page = max(1, int(request.GET.get("timeline", 1)))
    except ValueError:
        page = 1
    events, more = timeline(case, page)
    return render(request, "cases/partials/timeline_items.html", {"case": case, "events": events, "timeline_more": more, "timeline_page": page})


def _done(request, case: Case, message: str, anchor: str = ""):
    messages.success(request, message)
    return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]) + (f"#{anchor}" if anchor else ""))


def submit_case_form(request, case_id: int, *, form, key: str, section: str, call, message: str):
    """Validate ``form``, call the one service (``call(form)``), then back to the case page at ``section``,
    or the case page again with what was typed and why it was refused."""
    error = None
    if form.is_valid():
        try:
            call(form)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("cases:detail", args=[case_id]) + f"#{section}")
    return _failed(request, case_id, section=section, key=key, form=form, error=error)


def _failed(request, case_id: int, *, section: str, key: str, form, error: DomainError | None):
    """Show the case page again with what the user typed and why it was refused."""
    case = access_case(actor=request.user, case_id=case_id)
    context = case_context(request, case, bound={key: form}, error_section=section, domain_error=error)
    status = 409 if isinstance(error, Conflict) else 400
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
@require_POST
def take_step(request, case_id: int, name: str):
    if name not in STEPS:
        raise Http404
    form = TransitionForm(request.POST, name=name, inputs=STEPS[name].inputs)
    error = None
    if form.is_valid():
        try:
            case = services.take_transition(
                actor=request.user, case_id=case_id, name=name, expected_state=form.cleaned_data["expected_state"], **form.service_inputs()
            )
        except DomainError as exc:
            error = exc
        else:
            return _done(
                request, case, _("Done: the case is now in “%(state)s”.") % {"state": case.get_state_display()}, "trajectory"
            )
    return _failed(request, case_id, section="trajectory", key=f"transition:{name}", form=form, error=error)


@login_required
@require_POST
def propose_escalation(request, case_id: int):
    form = ProposeEscalationForm(request.POST)
    error = None
    if form.is_valid():
        try:
            case = services.propose_escalation(actor=request.user, case_id=case_id, motivation=form.cleaned_data["motivation"])
        except DomainError as exc:
            error = exc
        else:
            return _done(request, case, _("Your proposal to escalate was sent to the office manager."), "trajectory")
    return _failed(request, case_id, section="trajectory", key="propose", form=form, error=error)


@login_required
@require_POST
def decline_proposal(request, case_id: int, proposal: str):
    form = DeclineProposalForm(request.POST, prefix=f"decline-{proposal}")
    error = None
    if form.is_valid():
        try:
            case = services.decline_proposal(actor=request.user, case_id=case_id, proposal=proposal, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            error = exc
        else:
            return _done(request, case, _("The proposal is declined; the counsellor sees your reason in the timeline."), "trajectory")
    return _failed(request, case_id, section="trajectory", key=f"decline:{proposal}", form=form, error=error)


@login_required
@require_POST
def record_procedure(request, case_id: int):
    form = ProcedureForm(request.POST)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            procedure, _created = services.record_procedure(
                actor=request.user, case_id=case_id, kind=data["kind"], lodged_on=data["lodged_on"],
                suspensive=form.suspensive_value(), reference=data["reference"],
            )
        except DomainError as exc:
            error = exc
        else:
            case = procedure.case
            case.refresh_from_db()
            message = _("The legal procedure is recorded.")
            if case.state == State.LEGAL_STAY_REVIEW and procedure.suspensive:
                message += " " + _("It is suspensive: the case is in legal stay review and no removal may take place.")
            return _done(request, case, message, "procedures")
    return _failed(request, case_id, section="procedures", key="procedure", form=form, error=error)


@login_required
@require_POST
def decide_procedure(request, case_id: int, procedure_id: int):
    form = DecideProcedureForm(request.POST, prefix=f"decide-{procedure_id}")
    error = None
    if form.is_valid():
        try:
            procedure = services.decide_procedure(
                actor=request.user, case_id=case_id, procedure_id=procedure_id,
                decision=form.cleaned_data["decision"], decided_on=form.cleaned_data["decided_on"],
            )
        except DomainError as exc:
            error = exc
        else:
            return _done(
                request, procedure.case,
                _("The decision is recorded: %(decision)s.") % {"decision": LegalProcedure.Status(procedure.status).label}, "procedures",
            )
    return _failed(request, case_id, section="procedures", key=f"decide:{procedure_id}", form=form, error=error)


@login_required
@require_POST
def place(request, case_id: int):
    form = PlacementForm(request.POST)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            placement = services.place_in_facility(
                actor=request.user, case_id=case_id, facility_id=data["facility"].pk, started_on=data["started_on"],
                motivation=data["motivation"],
            )
        except DomainError as exc:
            error = exc
        else:
            if not isinstance(placement, Placement):
                return _done(request, placement.case, _(
                    "The placement in detention is decided; it takes effect once a second office manager confirms it."
                ), "detention")
            return _done(request, placement.case, _("The placement in %(facility)s is recorded.") % {"facility": placement.facility}, "placements")
    return _failed(request, case_id, section="placements", key="placement", form=form, error=error)


@login_required
@require_POST
def end_placement(request, case_id: int, placement_id: int):
    form = EndPlacementForm(request.POST, prefix=f"end-{placement_id}")
    error = None
    if form.is_valid():
        try:
            placement = services.end_placement(
                actor=request.user, case_id=case_id, placement_id=placement_id, ended_on=form.cleaned_data["ended_on"]
            )
        except DomainError as exc:
            error = exc
        else:
            return _done(request, placement.case, _("The placement has ended."), "placements")
    return _failed(request, case_id, section="placements", key=f"end_placement:{placement_id}", form=form, error=error)


@login_required
@require_POST
def update_address(request, case_id: int):
    form = AddressForm(request.POST)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = services.update_address(
                actor=request.user, case_id=case_id, street=data["street"], postcode=data["postcode"],
                municipality=data["municipality"], invalid=data["invalid"],
            )
        except DomainError as exc:
            error = exc
        else:
            message = _("The address is confirmed invalid.") if data["invalid"] else _("The address is updated.")
            return _done(request, case, message, "person")
    return _failed(request, case_id, section="person", key="address", form=form, error=error)


@login_required
@require_POST
def best_interest(request, case_id: int):
    form = BestInterestForm(request.POST)
    error = None
    if form.is_valid():
        try:
            case = services.record_best_interest_decision(
                actor=request.user, case_id=case_id, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            error = exc
        else:
            return _done(request, case, _("The best-interest decision is recorded."), "person")
    return _failed(request, case_id, section="person", key="best_interest", form=form, error=error)


