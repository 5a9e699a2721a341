"""Forms of the return work on the case page. They parse and label; the services decide."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DATE_WIDGET, country_field
from cases.returns.care import RemovalOperation, Vulnerability
from cases.returns.documents import CaseDocument
from cases.returns.models import ConsularRequest, TravelDocument


def date_field(label, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(**DATE_WIDGET))


class TravelDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=TravelDocument.Kind.choices)
    status = forms.ChoiceField(label=_("Held or missing"), choices=TravelDocument.Status.choices)
    country = country_field(_("Issuing country"), required=False)
    number = forms.CharField(label=_("Number"), max_length=64, required=False)
    valid_until = date_field(_("Valid until"), required=False)
    kept_at = forms.CharField(label=_("Where it is kept"), max_length=200, required=False)


class ConsularRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Request"), choices=ConsularRequest.Kind.choices)
    country = country_field(_("Country of return"))
    consulate = forms.CharField(label=_("Consulate"), max_length=200)
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False)
    sent_on = date_field(_("Sent on"))
    interview_on = date_field(_("Interview on"), required=False)


class ConsularUpdateForm(forms.Form):
    interview_on = date_field(_("Interview planned on"), required=False)
    interview_held_on = date_field(_("Interview held on"), required=False)
    reminder_sent_on = date_field(_("Reminder sent to the consulate on"), required=False)
    answer = forms.ChoiceField(
        label=_("Answer"), required=False,
        choices=[("", "—"), *(c for c in ConsularRequest.Answer.choices if c[0] != ConsularRequest.Answer.PENDING)],
    )
    answered_on = date_field(_("Answered on"), required=False)
    document_number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    valid_until = date_field(_("Valid until"), required=False)

    def service_inputs(self) -> dict:
        data = dict(self.cleaned_data)
        # An empty interview field leaves the planned interview alone in the browser.
        if data["interview_on"] is None:
            data["interview_on"] = ""
        return data


class ReferralForm(forms.Form):
    partner = forms.ChoiceField(label=_("Return partner"))
    destination_country = country_field(_("Destination"))
    destination_place = forms.CharField(label=_("Place of destination"), max_length=200, required=False)
    travellers = forms.IntegerField(label=_("People travelling"), min_value=1, max_value=30, initial=1)
    travellers_note = forms.CharField(label=_("Who travels"), max_length=300, required=False)
    medical_needs = forms.CharField(label=_("Medical needs for travel"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reintegration_wishes = forms.CharField(label=_("Reintegration wishes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    consent_on = date_field(_("Consent to the referral recorded on"))

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["partner"]).choices = [(p.pk, p.name) for p in partners]


class CancelReferralForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class VulnerabilityForm(forms.Form):
    medical_condition = forms.BooleanField(label=_("Medical condition"), required=False)
    pregnancy = forms.BooleanField(label=_("Pregnancy"), required=False)
    disability = forms.BooleanField(label=_("Disability"), required=False)
    mental_health = forms.BooleanField(label=_("Mental health"), required=False)
    trafficking_victim = forms.BooleanField(label=_("Victim of trafficking"), required=False)
    elderly = forms.BooleanField(label=_("Elderly"), required=False)
    note = forms.CharField(label=_("What travel and escorts need to know"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def flags(self) -> dict[str, bool]:
        return {flag: self.cleaned_data[flag] for flag in Vulnerability.FLAGS}


class UnfitForm(forms.Form):
    given_on = date_field(_("Medical opinion dated"))
    physician = forms.CharField(label=_("Physician"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LiftUnfitForm(forms.Form):
    lifted_on = date_field(_("Lifted on"))
    note = forms.CharField(label=_("Why (new medical opinion)"), widget=forms.Textarea(attrs={"rows": 2}))


class RemovalPlanForm(forms.Form):
    planned_on = date_field(_("Planned removal date"))
    escort_needed = forms.BooleanField(label=_("Escort needed"), required=False)
    escorts = forms.IntegerField(label=_("Escorts"), min_value=0, max_value=20, required=False, initial=0)
    flight_reference = forms.CharField(label=_("Flight reference"), max_length=64, required=False)


class RemovalOutcomeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in RemovalOperation.Status.choices if c[0] != RemovalOperation.Status.PLANNED]
    )
    outcome_on = date_field(_("On"))
    note = forms.CharField(label=_("Note or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=CaseDocument.Kind.choices)
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"))
