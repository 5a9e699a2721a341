"""Forms of the counselling pages: log a conversation, plan / reschedule / cancel one.

Forms parse and label; the rules (who may, when, what is consistent) are in counselling.services.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cases.forms import CounsellorChoiceField, WidgetOptions
from cases.languages import language_choices
from counselling.models import Conversation
from offices.models import Membership, Office
from returnpath.widgets import LongSelect

User = get_user_model()

# Belgian day/month/year and a 24-hour clock whatever the browser's locale.
# Native date-and-time pickers (type="datetime-local" sends "YYYY-MM-DDTHH:MM").
DATETIME_WIDGET: WidgetOptions = {"attrs": {"type": "datetime-local", "step": 60}, "format": "%Y-%m-%dT%H:%M"}


class Outcome:
    HELD = "held"
    NO_SHOW = "no_show"
    CHOICES = [(HELD, _("The conversation took place")), (NO_SHOW, _("The person did not come (no-show)"))]


def counsellors_of(office: Office | None):
    if office is None:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True, memberships__office=office, memberships__is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "id")
    )


def offices_for(case, user):
    mine = Membership.objects.filter(user=user, is_active=True).values("office_id")
    ids = {case.office_id} if case.office_id else set()
    return Office.objects.filter(is_active=True, kind__in=Office.COUNSELLING_KINDS).filter(
        pk__in=ids
    ) | Office.objects.filter(is_active=True, kind__in=Office.COUNSELLING_KINDS, pk__in=mine)


class NextConversationFields(forms.Form):
    """The next conversation, proposed from the playbook and adjustable before saving."""

    next_planned_at = forms.DateTimeField(label=_("Date and time"), required=False, widget=forms.DateTimeInput(**DATETIME_WIDGET))
    next_mode = forms.ChoiceField(label=_("How"), choices=Conversation.Mode.choices, required=False)
    next_office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(), required=False, widget=LongSelect)
    next_counsellor = CounsellorChoiceField(label=_("Counsellor"), queryset=User.objects.none(), required=False)
    next_interpreter_language = forms.ChoiceField(
        label=_("Interpreter"), required=False, widget=LongSelect,  # every ISO 639-1 language: 184
        help_text=_("The person's languages come first. Choose “No interpreter” when you share a language."),
    )

    def setup_choices(self, case, user) -> None:
        cast(forms.ModelChoiceField, self.fields["next_office"]).queryset = offices_for(case, user).order_by("name")
        cast(forms.ModelChoiceField, self.fields["next_counsellor"]).queryset = counsellors_of(case.office)
        cast(forms.ChoiceField, self.fields["next_interpreter_language"]).choices = [
            ("", _("No interpreter")), *language_choices(first=case.person.languages),
        ]

    def next_conversation(self) -> dict:
        data = self.cleaned_data
        return {
            "planned_at": data.get("next_planned_at"),
            "mode": data.get("next_mode") or Conversation.Mode.OFFICE,
            "office_id": data["next_office"].pk if data.get("next_office") else None,
            "counsellor_id": data["next_counsellor"].pk if data.get("next_counsellor") else None,
            "interpreter_language": (data.get("next_interpreter_language") or "").strip().lower(),
        }


class LogConversationForm(NextConversationFields):
    outcome = forms.ChoiceField(label=_("What happened?"), choices=Outcome.CHOICES, widget=forms.RadioSelect, initial=Outcome.HELD)
    held_at = forms.DateTimeField(
        label=_("When did it take place?"), required=False, widget=forms.DateTimeInput(**DATETIME_WIDGET)
    )
    mode = forms.ChoiceField(label=_("How did it take place?"), choices=Conversation.Mode.choices)
    interpreter_used = forms.BooleanField(label=_("An interpreter was present"), required=False)
    discussed_legal_stay = forms.BooleanField(label=_("A legal way to stay"), required=False)
    discussed_voluntary_return = forms.BooleanField(label=_("Voluntary return"), required=False)
    discussed_forced_return_risk = forms.BooleanField(label=_("The risk of forced return"), required=False)
    stance = forms.ChoiceField(
        label=_("The person's stance on voluntary return"), choices=Conversation.Stance.choices, widget=forms.RadioSelect,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facts and what the person said. Write as if the person will read it."),
    )
    agreed_next_step = forms.CharField(label=_("Agreed next step"), required=False, max_length=300)
    plan_next = forms.BooleanField(label=_("Plan the next conversation"), required=False, initial=True)

    def __init__(self, *args, walk_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.walk_in = walk_in
        if walk_in:
            cast(forms.ChoiceField, self.fields["outcome"]).choices = Outcome.CHOICES[:1]
        else:
            del self.fields["held_at"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("outcome") == Outcome.HELD and not data.get("stance"):
            self.add_error("stance", _("Record the person's stance on voluntary return (or “Not discussed”)."))
        if data.get("plan_next") and not data.get("next_planned_at"):
            self.add_error("next_planned_at", _("Give the date and time of the next conversation, or untick “Plan the next conversation”."))
        return data

    def held_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "stance": data["stance"],
            "mode": data["mode"],
            "interpreter_used": data["interpreter_used"],
            "discussed_legal_stay": data["discussed_legal_stay"],
            "discussed_voluntary_return": data["discussed_voluntary_return"],
            "discussed_forced_return_risk": data["discussed_forced_return_risk"],
            "notes": data["notes"],
            "agreed_next_step": data["agreed_next_step"],
        }


class PlanConversationForm(NextConversationFields):
    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("next_planned_at"):
            self.add_error("next_planned_at", _("Give the date and time of the conversation."))
        return data


class RescheduleForm(NextConversationFields):
    reason = forms.CharField(label=_("Reason for moving the conversation"), max_length=300)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("next_planned_at"):
            self.add_error("next_planned_at", _("Give the new date and time."))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300)
