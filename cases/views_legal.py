"""Browser views for the legal decisions: departure period, detention title and its four-eyes
confirmations, the guardian of an unaccompanied minor. Parse, call one service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import services
from cases.forms_legal import (
    DetentionExtensionForm,
    GuardianAgreementForm,
    GuardianForm,
    RefuseDetentionForm,
    TermDecisionForm,
)
from cases.models import Case, DetentionDecision
from cases.selectors import cases_visible_to
from cases.selectors_legal import detention_summary, legal_dates, pending_detention_decisions, term_decisions


def legal_context(case: Case, *, orders: list, bound: dict) -> dict:
    """What the case page shows and offers about the law's dates and decisions."""
    today = timezone.localdate()
    pending = pending_detention_decisions(case)
    for decision in pending:
        decision.refuse_form = bound.get(f"refuse_detention:{decision.pk}") or RefuseDetentionForm(prefix=f"refuse-{decision.pk}")
    return {
        "legal_dates": legal_dates(case, orders=orders),
        "detention": detention_summary(case),
        "pending_detention": pending,
        "term_decisions": term_decisions(case),
        "term_form": bound.get("term") or TermDecisionForm(initial={"decided_on": today}),
        "extension_form": bound.get("extend_detention") or DetentionExtensionForm(initial={"decided_on": today}),
        "guardian_form": bound.get("guardian") or GuardianForm(initial={
            "name": case.guardian_name, "contact": case.guardian_contact, "appointed_on": case.guardian_appointed_on}),
        "guardian_agreement_form": bound.get("guardian_agreement") or GuardianAgreementForm(initial={"agreed_on": today}),
    }


def _post(request, case_id: int, *, call, **kwargs):
    """The shared case-form flow (cases.views.submit_case_form), the service reading the cleaned data."""
    from cases.views import submit_case_form

    return submit_case_form(request, case_id, call=lambda form: call(form.cleaned_data), **kwargs)


@login_required
@require_POST
def record_term_decision(request, case_id: int):
    def call(data):
        decision, _created = services.record_term_decision(
            actor=request.user, case_id=case_id, kind=data["kind"], ground=data["ground"], days=data["days"],
            motivation=data["motivation"], decided_on=data["decided_on"])
        return decision

    return _post(request, case_id, form=TermDecisionForm(request.POST), key="term", section="orders", call=call,
                 message=_("The decision on the departure period is recorded; the deadline has moved."))


@login_required
@require_POST
def extend_detention(request, case_id: int):
    def call(data):
        return services.extend_detention(actor=request.user, case_id=case_id, extend_to=data["extend_to"],
                                         ground=data["ground"], motivation=data["motivation"], decided_on=data["decided_on"])

    return _post(request, case_id, form=DetentionExtensionForm(request.POST), key="extend_detention", section="detention",
                 call=call, message=_("The extension is decided; it takes effect once confirmed."))


@login_required
@require_POST
def confirm_detention(request, case_id: int, decision_id: int):
    from django import forms

    def call(_data):
        return services.confirm_detention_decision(actor=request.user, case_id=case_id, decision_id=decision_id)

    return _post(request, case_id, form=forms.Form(request.POST), key="confirm_detention", section="detention", call=call,
                 message=_("Confirmed: the detention decision takes effect."))


@login_required
@require_POST
def refuse_detention(request, case_id: int, decision_id: int):
    def call(data):
        return services.refuse_detention_decision(actor=request.user, case_id=case_id, decision_id=decision_id,
                                                  reason=data["reason"])

    return _post(request, case_id, form=RefuseDetentionForm(request.POST, prefix=f"refuse-{decision_id}"),
                 key=f"refuse_detention:{decision_id}", section="detention", call=call,
                 message=_("Not confirmed: nothing takes effect; the reason is on the timeline."))


@login_required
@require_POST
def record_guardian(request, case_id: int):
    def call(data):
        return services.record_guardian(actor=request.user, case_id=case_id, name=data["name"], contact=data["contact"],
                                        appointed_on=data["appointed_on"])

    return _post(request, case_id, form=GuardianForm(request.POST), key="guardian", section="person", call=call,
                 message=_("The guardian is recorded."))


@login_required
@require_POST
def record_guardian_agreement(request, case_id: int):
    def call(data):
        return services.record_guardian_agreement(actor=request.user, case_id=case_id, agreed_on=data["agreed_on"],
                                                  note=data["note"])

    return _post(request, case_id, form=GuardianAgreementForm(request.POST), key="guardian_agreement", section="person",
                 call=call, message=_("The guardian's agreement to the return is recorded."))


@login_required
@require_POST
def review_coming_of_age(request, case_id: int):
    from django import forms

    def call(_data):
        return services.review_coming_of_age(actor=request.user, case_id=case_id, note=request.POST.get("note", "")[:2000])

    return _post(request, case_id, form=forms.Form(request.POST), key="coming_of_age", section="person", call=call,
                 message=_("Noted: the person is followed as an adult from now on."))


@login_required
@require_GET
def pending_detention(request):
    """The detention decisions awaiting a second person's confirmation, for managers to act on."""
    if not request.user.has_perm("cases.confirm_detention"):
        raise PermissionDenied
    decisions = list(
        DetentionDecision.objects.filter(status=DetentionDecision.Status.PENDING, case__in=cases_visible_to(request.user))
        .select_related("case__person", "decided_by", "facility", "period").order_by("created_at", "id")
    )
    return render(request, "cases/pending_detention.html", {"decisions": decisions, "nav": "detention"})
