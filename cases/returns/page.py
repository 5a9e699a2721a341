"""The return work's part of the case page (one line in cases.case_page.case_context)."""

from __future__ import annotations

from django.utils import timezone

from cases.returns import forms, selectors, services


def returns_context(case, user, bound: dict) -> dict:
    """The return work's part of the case page (one line in cases.case_page.case_context)."""
    data = selectors.case_returns(case)
    today = timezone.localdate()
    for request in data["consular_requests"]:
        request.form = bound.get(f"consular:{request.pk}") or forms.ConsularUpdateForm(prefix=f"consular-{request.pk}")
    for operation in data["removal_operations"]:
        operation.form = bound.get(f"removal:{operation.pk}") or forms.RemovalOutcomeForm(
            prefix=f"removal-{operation.pk}", initial={"outcome_on": today})
    vulnerability = data["vulnerability"]
    data.update(
        travel_document_form=bound.get("travel_document") or forms.TravelDocumentForm(),
        consular_form=bound.get("consular") or forms.ConsularRequestForm(initial={"sent_on": today}),
        referral_form=bound.get("referral") or forms.ReferralForm(partners=selectors.partners(case), initial={
            "destination_country": case.person.nationality.code or "", "consent_on": today,
            "medical_needs": vulnerability.note if vulnerability else ""}),
        cancel_referral_form=bound.get("cancel_referral") or forms.CancelReferralForm(prefix="cancel-referral"),
        vulnerability_form=bound.get("vulnerability") or forms.VulnerabilityForm(initial={
            **{flag: getattr(vulnerability, flag) for flag in vulnerability.FLAGS}, "note": vulnerability.note} if vulnerability else {}),
        unfit_form=bound.get("unfit") or forms.UnfitForm(initial={"given_on": today}),
        lift_unfit_form=bound.get("lift_unfit") or forms.LiftUnfitForm(prefix="lift", initial={"lifted_on": today}),
        removal_form=bound.get("removal") or forms.RemovalPlanForm(),
        removal_refusals=services.removal_refusals(case) if user.has_perm("cases.place_case") else [],
        document_form=bound.get("document") or forms.DocumentForm(),
    )
    return {"returns": data}
