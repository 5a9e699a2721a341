"""The return work in the browser: forms on the case page, the document download, the managers'
overdue list and the figures. Views parse, call one service, render (STYLE.md)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import views as case_views
from cases.returns import forms, selectors, services
from cases.returns.services.referrals import report_referral_stage
from returnpath.errors import DomainError


@login_required
@require_POST
def travel_document(request, case_id: int):
    return case_views.submit_case_form(request, case_id, form=forms.TravelDocumentForm(request.POST), section="travel", key="travel_document",
                   call=lambda f: services.record_travel_document(actor=request.user, case_id=case_id, **f.cleaned_data),
                   message=_("The travel document is recorded."))


@login_required
@require_POST
def consular_request(request, case_id: int):
    return case_views.submit_case_form(request, case_id, form=forms.ConsularRequestForm(request.POST), section="travel", key="consular",
                   call=lambda f: services.record_consular_request(actor=request.user, case_id=case_id, **f.cleaned_data),
                   message=_("The consular request is recorded; you will be reminded when it needs follow-up."))


@login_required
@require_POST
def consular_update(request, case_id: int, request_id: int):
    return case_views.submit_case_form(
        request, case_id, form=forms.ConsularUpdateForm(request.POST, prefix=f"consular-{request_id}"), section="travel",
        key=f"consular:{request_id}",
        call=lambda f: services.update_consular_request(actor=request.user, case_id=case_id, request_id=request_id, **f.service_inputs()),
        message=_("The consular request is updated."),
    )


@login_required
@require_POST
def refer(request, case_id: int):
    def call(f):
        data = dict(f.cleaned_data)
        data["partner_id"] = int(data.pop("partner"))
        return services.refer_to_partner(actor=request.user, case_id=case_id, **data)

    return case_views.submit_case_form(request, case_id, form=forms.ReferralForm(request.POST, partners=selectors.partners()), section="referral",
                   key="referral", call=call, message=_("The referral is sent to the return partner."))


@login_required
@require_POST
def cancel_referral(request, case_id: int, referral_id: int):
    return case_views.submit_case_form(
        request, case_id, form=forms.CancelReferralForm(request.POST, prefix="cancel-referral"), section="referral", key="cancel_referral",
        call=lambda f: report_referral_stage(actor=request.user, referral_id=referral_id, stage="cancelled", reason=f.cleaned_data["reason"]),
        message=_("The referral is cancelled."),
    )


@login_required
@require_POST
def vulnerability(request, case_id: int):
    return case_views.submit_case_form(
        request, case_id, form=forms.VulnerabilityForm(request.POST), section="care", key="vulnerability",
        call=lambda f: services.update_vulnerability(actor=request.user, case_id=case_id, flags=f.flags(), note=f.cleaned_data["note"]),
        message=_("The vulnerabilities are updated."),
    )


@login_required
@require_POST
def unfit(request, case_id: int):
    return case_views.submit_case_form(request, case_id, form=forms.UnfitForm(request.POST), section="care", key="unfit",
                   call=lambda f: services.record_unfit_to_travel(actor=request.user, case_id=case_id, **f.cleaned_data),
                   message=_("The unfit-to-travel opinion is recorded: removal steps are blocked until it is lifted."))


@login_required
@require_POST
def lift_unfit(request, case_id: int):
    return case_views.submit_case_form(request, case_id, form=forms.LiftUnfitForm(request.POST, prefix="lift"), section="care", key="lift_unfit",
                   call=lambda f: services.lift_unfit_to_travel(actor=request.user, case_id=case_id, **f.cleaned_data),
                   message=_("The unfit-to-travel opinion is lifted."))


@login_required
@require_POST
def plan_removal(request, case_id: int):
    def call(f):
        data = dict(f.cleaned_data)
        data["escorts"] = data["escorts"] or 0
        return services.plan_removal(actor=request.user, case_id=case_id, **data)

    return case_views.submit_case_form(request, case_id, form=forms.RemovalPlanForm(request.POST), section="care", key="removal", call=call,
                   message=_("The removal operation is planned."))


@login_required
@require_POST
def removal_outcome(request, case_id: int, operation_id: int):
    return case_views.submit_case_form(
        request, case_id, form=forms.RemovalOutcomeForm(request.POST, prefix=f"removal-{operation_id}"), section="care",
        key=f"removal:{operation_id}",
        call=lambda f: services.record_removal_outcome(actor=request.user, case_id=case_id, operation_id=operation_id, **f.cleaned_data),
        message=_("The outcome of the removal operation is recorded."),
    )


@login_required
@require_POST
def upload(request, case_id: int):
    def call(f):
        uploaded = f.cleaned_data["file"]
        # Never more than the limit plus one byte in memory: enough to know it is too large.
        data = uploaded.read(settings.RETURNPATH_DOCUMENT_MAX_BYTES + 1)
        return services.upload_document(actor=request.user, case_id=case_id, kind=f.cleaned_data["kind"], name=uploaded.name, data=data)

    return case_views.submit_case_form(request, case_id, form=forms.DocumentForm(request.POST, request.FILES), section="documents", key="document",
                   call=call, message=_("The document is stored with the case."))


@login_required
@require_GET
def download(request, case_id: int, document_id: int):
    try:
        document = services.open_document(actor=request.user, case_id=case_id, document_id=document_id,
                                          address=request.META.get("REMOTE_ADDR"))
    except DomainError:
        raise Http404 from None
    response = FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                            filename=document.original_name)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _may_see_figures(user) -> bool:
    return user.has_perm("cases.view_all_cases") or user.has_perm("cases.escalate_case")


@login_required
@require_GET
def overdue(request):
    if not _may_see_figures(request.user):
        raise PermissionDenied
    return render(request, "cases/returns/overdue.html", {"requests": selectors.overdue_for_managers(request.user), "nav": "returns"})


@login_required
@require_GET
def figures(request):
    if not _may_see_figures(request.user):
        raise PermissionDenied
    return render(request, "cases/returns/figures.html", {
        "countries": selectors.identification_figures(request.user),
        "support": selectors.reintegration_figures(request.user),
        **selectors.removal_and_referral_figures(request.user),
        "national": request.user.has_perm("cases.view_all_cases"),
        "nav": "returns",
    })
