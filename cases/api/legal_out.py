"""The legal dates, the detention title and the departure-period decisions, as answered."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import DepartureTermDecision, DetentionDecision


class LegalDatesSerializer(serializers.Serializer):
    """The dates the law sets for the case, computed by the legal clock (``cases/legal.py``)."""

    current_order = serializers.CharField(allow_null=True, help_text="The external reference of the newest order.")
    appeal_deadline = serializers.DateField(
        allow_null=True, help_text="Last day for an annulment/suspension appeal against the current order (30 days; 10 when held at notification).")
    appeal_window_days = serializers.IntegerField(allow_null=True)
    extreme_urgency_deadline = serializers.DateField(
        allow_null=True, help_text="Last day for an extreme-urgency request (10 days; 5 against a second removal measure).")
    extreme_urgency_window_days = serializers.IntegerField(allow_null=True)
    detained_at_notification = serializers.BooleanField()
    second_removal_measure = serializers.BooleanField()
    entry_ban_years = serializers.IntegerField()
    entry_ban_ends_on = serializers.DateField(
        allow_null=True, help_text="The entry ban runs from the confirmed departure or removal (CJEU Ouhrami C-225/16).")
    reintegration_window_ends_on = serializers.DateField(allow_null=True, help_text="12 months from the departure.")


class DetentionDecisionOutSerializer(serializers.Serializer):
    """A placement in detention or an extension, and whether a second person confirmed it."""

    kind = serializers.ChoiceField(choices=DetentionDecision.Kind.choices)
    status = serializers.ChoiceField(choices=DetentionDecision.Status.choices)
    decided_on = serializers.DateField()
    extend_to = serializers.CharField(allow_blank=True, help_text="`extended` (5 months) or `public_order` (8 months).")
    ground = serializers.CharField(allow_blank=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class DetentionSerializer(serializers.Serializer):
    """The detention title: one period across consecutive placements, transfers included."""

    started_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)
    days_held = serializers.IntegerField()
    limit = serializers.DateField(help_text="The last day the person may be held under the current decisions.")
    limit_months = serializers.IntegerField()
    decisions = DetentionDecisionOutSerializer(many=True)


class TermDecisionOutSerializer(serializers.Serializer):
    """A decision extending or shortening the period for voluntary departure."""

    kind = serializers.ChoiceField(choices=DepartureTermDecision.Kind.choices)
    ground = serializers.ChoiceField(choices=DepartureTermDecision.Ground.choices)
    decided_on = serializers.DateField()
    days = serializers.IntegerField()
    previous_deadline = serializers.DateField()
    new_deadline = serializers.DateField()
    reference = serializers.CharField(allow_blank=True)
