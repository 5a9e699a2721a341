"""Decisions on the period for voluntary departure, as the order register sends them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from cases.api.fields import IsoDate, StrictInteger, StrictSerializer, Text, not_after_today, order_era
from cases.models import DepartureTermDecision


class TermExtensionSerializer(StrictSerializer):
    """An extension of the period for voluntary departure (Return Directive art. 7(2); Aliens Act art. 74/14 §1)."""

    decided_on = IsoDate(validators=[not_after_today, order_era])
    days = StrictInteger(min_value=1, max_value=180, required=False, allow_null=True, default=None,
                         help_text="Days added to the current deadline (then rolled to a working day). Or give `until`.")
    until = IsoDate(required=False, allow_null=True, default=None,
                    help_text="The date the extended period runs until (rolled to a working day). Or give `days`.")
    ground = serializers.ChoiceField(choices=[(g.value, g.label) for g in DepartureTermDecision.EXTENSION_GROUNDS])
    motivation = Text(max_length=2000, required=True)
    reference = Text(max_length=64, help_text="Your reference; the same reference again answers the decision already recorded.")


    def cross_check(self, value: dict, errors: dict) -> None:
        if value.get("days") is None and value.get("until") is None and "days" not in errors and "until" not in errors:
            errors["days"] = [ErrorDetail(str(_("Give the extension in days or the date it runs until.")), code="required")]


class TermShorteningSerializer(StrictSerializer):
    """A decision cutting the period short because a risk arose during it (Directive art. 8(2); Aliens Act art. 74/14 §3)."""

    decided_on = IsoDate(validators=[not_after_today, order_era])
    days = StrictInteger(min_value=0, max_value=30, help_text="The new period from the decision; 0: leave at once.")
    ground = serializers.ChoiceField(choices=[(g.value, g.label) for g in DepartureTermDecision.SHORTENING_GROUNDS])
    motivation = Text(max_length=2000, required=True)
    reference = Text(max_length=64)
