"""Forms of the case pages. They parse and label what the user typed; the services decide."""

from __future__ import annotations

from typing import Any, TypedDict, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.caseload import FLAGS
from cases.models import Case, LegalProcedure, State, TargetGroup
from offices.models import Membership, Office
from returnpath.widgets import LongSelect

User = get_user_model()
# Belgian day/month/year whatever the browser's own locale (a native date picker would follow the
# browser, e.g. month/day/year in an American-configured Chromium).
# Native date pickers (type="date" sends ISO 8601, which Django always accepts besides the localised formats).


class WidgetOptions(TypedDict):
    attrs: dict[str, Any]
    format: str


DATE_WIDGET: WidgetOptions = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


def _country_choices() -> list[tuple[str, str]]:
    return [("", "—"), *countries]


def country_field(label, required: bool = True) -> forms.ChoiceField:
    """A country, named in the reader's language: the choices are read when the form is shown,
    not when the module is imported (a list made at import kept the first language's names)."""
    return forms.ChoiceField(label=label, required=required, choices=_country_choices, widget=LongSelect)

FLAG_LABELS = {
    "public_order": _("Public order"),
    "nuisance": _("Nuisance"),
    "vulnerable": _("Vulnerable"),
    "minor_children": _("Minor children"),
    "unaccompanied_minor": _("Unaccompanied minor"),
}
DEADLINE_WINDOWS = [
    ("", _("Any deadline")),
    ("7", _("Within 7 days")),
    ("14", _("Within 14 days")),
    ("30", _("Within 30 days")),
]


class CounsellorChoiceField(forms.ModelChoiceField):
    """A counsellor of an office's team (about 55 in a large office), by name."""

    widget = LongSelect

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class CaseloadFilterForm(forms.Form):
    """Renders the caseload filters with labels; parsing is CaseloadFilter.from_params (one URL contract)."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=100,
        help_text=_("Name, national number, dossier number, order reference or case number"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False,
        choices=[("open", _("All open cases")), ("all", _("Any state")), ("terminal", _("All finished cases")), *State.choices],
        widget=LongSelect,
    )
    target_group = forms.ChoiceField(label=_("Target group"), required=False, choices=[("", _("Any target group")), *TargetGroup.choices],
                                     widget=LongSelect)
    # An office's team: one counsellor per 500 cases (about 55 in a large office at national scale).
    office = forms.ChoiceField(label=_("Office"), required=False, widget=LongSelect)
    counsellor = forms.ChoiceField(label=_("Counsellor"), required=False, widget=LongSelect)
    deadline_within = forms.ChoiceField(label=_("Departure deadline"), required=False, choices=DEADLINE_WINDOWS, widget=LongSelect)
    deadline_passed = forms.BooleanField(label=_("Deadline passed"), required=False)
    flag = forms.MultipleChoiceField(
        label=_("Flags"), required=False, widget=forms.CheckboxSelectMultiple, choices=[(f, FLAG_LABELS[f]) for f in FLAGS]
    )
    no_planned = forms.BooleanField(label=_("No conversation planned"), required=False)
    suspensive = forms.BooleanField(label=_("Suspensive procedure pending"), required=False)

    def __init__(self, *args, offices=(), counsellors=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["office"]).choices = [("", _("Any office")), *[(str(o.pk), o.name) for o in offices]]
        cast(forms.ChoiceField, self.fields["counsellor"]).choices = [
            ("all", _("Anyone")), ("none", _("Not assigned")),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in counsellors],
        ]


def caseload_choices(user):
    """Offices and counsellors the user can filter on (two queries, whatever the caseload size)."""
    visible = Office.objects.filter(kind__in=Office.COUNSELLING_KINDS, is_active=True)
    if not user.has_perm("cases.view_all_cases"):
        visible = visible.filter(memberships__user=user, memberships__is_active=True)
    offices = list(visible.distinct().order_by("name"))
    counsellors = list(
        User.objects.filter(
            is_active=True, memberships__office__in=offices, memberships__is_active=True,
            memberships__role__in=[Membership.Role.COUNSELLOR, Membership.Role.MANAGER],
        ).distinct().order_by("first_name", "last_name", "id")[:500]
    ) if offices else []
    return offices, counsellors


# --- Trajectory steps --------------------------------------------------------------------

INPUT_FIELDS = {
    "new_departure_deadline": lambda: forms.DateField(
        label=_("New departure deadline"), widget=forms.DateInput(**DATE_WIDGET),
        help_text=_("The date set by the decision that ended the legal procedure."),
    ),
    "reason": lambda: forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2})),
    "departed_on": lambda: forms.DateField(label=_("Date of departure"), widget=forms.DateInput(**DATE_WIDGET)),
    "evidence": lambda: forms.ChoiceField(label=_("Evidence of departure"), choices=[("", "—"), *Case.DepartureEvidence.choices]),
    "destination_country": lambda: country_field(_("Destination country"), required=False),
    "motivation": lambda: forms.CharField(
        label=_("Written motivation"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why forced return is necessary now, and what was done to find another way."),
    ),
    "removed_on": lambda: forms.DateField(label=_("Date of removal"), widget=forms.DateInput(**DATE_WIDGET)),
    "note": lambda: forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 2})),
}


class TransitionForm(forms.Form):
    """One trajectory step with what it needs from the person taking it (``Step.inputs``, cases.steps)."""

    expected_state = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, name: str, inputs: tuple[str, ...] = (), **kwargs):
        kwargs.setdefault("prefix", f"t-{name}")
        super().__init__(*args, **kwargs)
        self.name = name
        for field_name in inputs:
            if name == "close" and field_name == "reason":
                self.fields[field_name] = forms.ChoiceField(label=_("Reason for closing"), choices=[("", "—"), *Case.CloseReason.choices])
            else:
                self.fields[field_name] = INPUT_FIELDS[field_name]()
        self.input_names = tuple(inputs)

    def service_inputs(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.input_names}


class ProposeEscalationForm(forms.Form):
    motivation = forms.CharField(
        label=_("Why do you propose forced return?"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your office manager decides. Describe the conversations held and the options offered."),
    )


# --- Legal procedures, placements, address ----------------------------------------------

class ProcedureForm(forms.Form):
    SUSPENSIVE_CHOICES = [("", _("As the law says for this kind")), ("yes", _("Suspensive")), ("no", _("Not suspensive"))]

    kind = forms.ChoiceField(label=_("Kind of procedure"), choices=[("", "—"), *LegalProcedure.Kind.choices])
    lodged_on = forms.DateField(label=_("Lodged on"), widget=forms.DateInput(**DATE_WIDGET))
    reference = forms.CharField(label=_("Reference"), required=False, max_length=64)
    suspensive = forms.ChoiceField(
        label=_("Suspensive?"), choices=SUSPENSIVE_CHOICES, required=False,
        help_text=_("For example, a 9ter request becomes suspensive once declared admissible."),
    )

    def suspensive_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("suspensive") or "")


class DecideProcedureForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), *[(s.value, s.label) for s in LegalProcedure.Status if s != LegalProcedure.Status.PENDING]],
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=forms.DateInput(**DATE_WIDGET))


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Office) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class PlacementForm(forms.Form):
    facility = FacilityChoiceField(label=_("Facility"), queryset=Office.objects.none())
    started_on = forms.DateField(label=_("From"), widget=forms.DateInput(**DATE_WIDGET))
    motivation = forms.CharField(
        label=_("Motivation"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A placement that starts a detention waits for a second office manager's confirmation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(FacilityChoiceField, self.fields["facility"]).queryset = (
            Office.objects.filter(kind__in=Office.FACILITY_KINDS, is_active=True).order_by("kind", "name")
        )


class EndPlacementForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=forms.DateInput(**DATE_WIDGET))


class AddressForm(forms.Form):
    street = forms.CharField(label=_("Street and number"), required=False, max_length=200)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=4)
    municipality = forms.CharField(label=_("Municipality"), required=False, max_length=100)
    invalid = forms.BooleanField(
        label=_("The address is confirmed invalid (the person does not live there)"), required=False,
    )


class BestInterestForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Durable solution decided"), choices=[("", "—"), *[c for c in Case.BestInterest.choices if c[0]]],
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeclineProposalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why not (the counsellor reads this)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
    )
