"""Serializers of the return work's API (identification unit, return partners)."""

from __future__ import annotations

from rest_framework import serializers

from cases import legal
from cases.api.fields import CountryCode, IsoDate, StrictBoolean, StrictInteger, StrictSerializer, Text
from cases.returns.models import FOLLOW_UP_MONTHS, ConsularRequest, FollowUpContact, Referral, ReintegrationSupport, TravelDocument


# --- identification ---------------------------------------------------------------------
class TravelDocumentInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=TravelDocument.Kind.choices)
    status = serializers.ChoiceField(choices=TravelDocument.Status.choices)
    country = CountryCode(required=False, allow_blank=True, default="")
    number = Text(max_length=64)
    valid_until = IsoDate(required=False, allow_null=True, default=None)
    kept_at = Text(max_length=200)


class TravelDocumentUpdateSerializer(TravelDocumentInSerializer):
    """Only the fields sent change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class TravelDocumentSerializer(serializers.ModelSerializer):
    country = serializers.CharField()

    class Meta:
        model = TravelDocument
        fields = ["id", "kind", "status", "country", "number", "valid_until", "kept_at", "created_at", "updated_at"]


class ConsularRequestInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ConsularRequest.Kind.choices)
    country = CountryCode()
    consulate = Text(max_length=200, required=True)
    reference = Text(max_length=64)
    sent_on = IsoDate()
    interview_on = IsoDate(required=False, allow_null=True, default=None)


class ConsularRequestUpdateSerializer(StrictSerializer):
    """An interview planned (or null to clear it) or held, a reminder sent, the answer."""

    interview_on = IsoDate(required=False, allow_null=True)
    interview_held_on = IsoDate(required=False, allow_null=True, default=None)
    reminder_sent_on = IsoDate(required=False, allow_null=True, default=None)
    answer = serializers.ChoiceField(
        choices=[c for c in ConsularRequest.Answer.choices if c[0] != ConsularRequest.Answer.PENDING], required=False, default=""
    )
    answered_on = IsoDate(required=False, allow_null=True, default=None)
    document_number = Text(max_length=64)
    valid_until = IsoDate(required=False, allow_null=True, default=None)


class ConsularRequestSerializer(serializers.ModelSerializer):
    country = serializers.CharField()
    days_to_answer = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = ConsularRequest
        fields = [
            "id", "kind", "country", "consulate", "reference", "sent_on", "interview_on", "interviews_held", "reminders_sent",
            "last_reminder_on", "answer", "answered_on", "days_to_answer", "document_number", "valid_until", "due_on",
            "created_at", "updated_at",
        ]


# --- partners ---------------------------------------------------------------------------
class StageSerializer(StrictSerializer):
    stage = serializers.ChoiceField(choices=[Referral.Stage.ACCEPTED, Referral.Stage.BOOKED, Referral.Stage.CANCELLED])
    flight = Text(max_length=64)
    flight_on = IsoDate(required=False, allow_null=True, default=None)
    reason = Text(max_length=2000)


class SupportInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ReintegrationSupport.Kind.choices)
    description = Text(max_length=300)
    planned_on = IsoDate(required=False, allow_null=True, default=None)
    delivered_on = IsoDate(required=False, allow_null=True, default=None)
    value_eur = StrictInteger(required=False, allow_null=True, default=None, min_value=0, max_value=1_000_000)


class FollowUpInSerializer(StrictSerializer):
    month = serializers.ChoiceField(choices=FOLLOW_UP_MONTHS)
    contacted_on = IsoDate()
    reached = StrictBoolean(required=False, default=True)
    note = Text(max_length=4000)


class SupportSerializer(serializers.ModelSerializer):
    within_window = serializers.SerializerMethodField()

    class Meta:
        model = ReintegrationSupport
        fields = ["id", "kind", "description", "planned_on", "delivered_on", "value_eur", "within_window"]

    def get_within_window(self, support) -> bool | None:
        departed_on = support.referral.case.departed_on
        if not (support.delivered_on and departed_on):
            return None
        return support.delivered_on <= legal.reintegration_window_end(departed_on=departed_on)


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpContact
        fields = ["id", "month", "contacted_on", "reached", "note"]


class TravellerSerializer(serializers.Serializer):
    """What the partner needs to book and receive the person: no counselling notes."""

    family_name = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    sex = serializers.CharField()
    nationality = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    phone = serializers.CharField()


class ReferralSerializer(serializers.ModelSerializer):
    case_id = serializers.IntegerField()
    destination_country = serializers.CharField()
    person = TravellerSerializer(source="case.person")
    departed_on = serializers.DateField(source="case.departed_on", allow_null=True)
    reintegration_window_end = serializers.SerializerMethodField()
    support = SupportSerializer(many=True)
    follow_ups = FollowUpSerializer(many=True)

    class Meta:
        model = Referral
        fields = [
            "id", "case_id", "stage", "stage_at", "referred_at", "destination_country", "destination_place", "travellers",
            "travellers_note", "vulnerabilities", "medical_needs", "reintegration_wishes", "consent_on", "flight", "flight_on",
            "cancel_reason", "person", "departed_on", "reintegration_window_end", "support", "follow_ups",
        ]

    def get_reintegration_window_end(self, referral) -> str | None:
        departed_on = referral.case.departed_on
        return legal.reintegration_window_end(departed_on=departed_on).isoformat() if departed_on else None
