"""Forms for the legal decisions on the case page: departure period, detention, guardian."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DATE_WIDGET
from cases.models import DepartureTermDecision, DetentionDecision, DetentionPeriod

EXTENSION_CHOICES = [c for c in DetentionPeriod.LIMIT_CHOICES if c[0] != "none"]


class TermDecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=[("", "—"), *DepartureTermDecision.Kind.choices])
    ground = forms.ChoiceField(label=_("Ground"), choices=[("", "—"), *DepartureTermDecision.Ground.choices],
                               help_text=_("Extension: length of stay, school-age children, family ties, a return being "
                                           "organised. Shortening: a risk that arose during the period."))
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=180,
                              help_text=_("Extension: days added to the deadline. Shortening: the new period from the decision (0: at once)."))
    decided_on = forms.DateField(label=_("Decided on"), widget=forms.DateInput(**DATE_WIDGET))
    motivation = forms.CharField(label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DetentionExtensionForm(forms.Form):
    extend_to = forms.ChoiceField(label=_("Extend to"), choices=[("", "—"), *EXTENSION_CHOICES])
    ground = forms.ChoiceField(label=_("Ground"), choices=DetentionDecision.Ground.choices, required=False,
                               help_text=_("8 months only on a public-order or national-security ground."))
    decided_on = forms.DateField(label=_("Decided on"), widget=forms.DateInput(**DATE_WIDGET))
    motivation = forms.CharField(label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class RefuseDetentionForm(forms.Form):
    reason = forms.CharField(label=_("Why not"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Guardian's name"), max_length=150)
    contact = forms.CharField(label=_("How to reach the guardian"), max_length=200)
    appointed_on = forms.DateField(label=_("Appointed on"), widget=forms.DateInput(**DATE_WIDGET))


class GuardianAgreementForm(forms.Form):
    agreed_on = forms.DateField(label=_("The guardian agreed on"), widget=forms.DateInput(**DATE_WIDGET))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
