"""Parsing requests and shaping answers. No business rules here: the order's own rules
(notification before issue, reasoned short terms, minors) come from ``cases.services``'s
``validate_order``, run on what parsed so that every error is reported at once."""

from __future__ import annotations

from typing import cast

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.fields import (
    CountryCode,
    IsoDate,
    LanguageCode,
    Name,
    NationalNumber,
    Postcode,
    StrictBoolean,
    StrictInteger,
    StrictSerializer,
    Text,
    add_error,
    birth_era,
    not_after_today,
    order_era,
)
from cases.api.legal_out import DetentionSerializer, LegalDatesSerializer, TermDecisionOutSerializer
from cases.conversations import next_planned_conversation
from cases.models import Case, CaseEvent, LegalProcedure, Person, State, TargetGroup
from cases.models_review import STAFF_ONLY_EVENT_KINDS
from cases.selectors_legal import legal_dates
from cases.services.orders import OrderData, PersonData, validate_order


class AddressSerializer(StrictSerializer):
    """The person's address in Belgium (it decides the office)."""

    street = Text(max_length=200)
    postcode = Postcode()
    municipality = Text(max_length=100)


class PersonSerializer(StrictSerializer):
    """The person the order is about."""

    family_name = Name(max_length=150, required=True)
    given_names = Name(max_length=150)
    birth_date = IsoDate(required=False, allow_null=True, default=None, validators=[not_after_today, birth_era])
    sex = serializers.ChoiceField(choices=Person.Sex.choices, default=Person.Sex.OTHER)
    nationality = CountryCode(required=False, allow_blank=True, default="")
    national_number = NationalNumber()
    dossier_number = Text(max_length=32)
    languages = serializers.ListField(child=LanguageCode(), max_length=10, default=list)
    address = AddressSerializer(required=False, allow_null=True, default=None)
    phone = Text(max_length=32, validators=[])
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")


class HouseholdSerializer(StrictSerializer):
    """Minor children, or an unaccompanied minor."""

    minor_children = StrictInteger(min_value=0, max_value=30, default=0)
    unaccompanied_minor = StrictBoolean(default=False)


class FlagsSerializer(StrictSerializer):
    """Facts that change the trajectory (e.g. a public-order flag allows an earlier escalation)."""

    public_order = StrictBoolean(default=False)
    nuisance = StrictBoolean(default=False)
    vulnerable = StrictBoolean(default=False)


class OrderSerializer(StrictSerializer):
    """An order to leave as the order register sends it (DESIGN §6)."""

    external_reference = Text(max_length=64, required=True, help_text="Your reference; unique per API client.")
    issued_on = IsoDate(validators=[not_after_today, order_era])
    notified_on = IsoDate(validators=[not_after_today, order_era])
    departure_term_days = StrictInteger(min_value=0, max_value=30, help_text="0–30; under 30 needs term_reason.")
    term_reason = Text(max_length=300)
    legal_basis = Text(max_length=200)
    entry_ban_years = StrictInteger(min_value=0, max_value=20, default=0)
    person = PersonSerializer()
    household = HouseholdSerializer(required=False)
    flags = FlagsSerializer(required=False)
    target_group = serializers.ChoiceField(choices=TargetGroup.choices, required=False, allow_blank=True, default="")

    def cross_check(self, value: dict, errors: dict) -> None:
        """The service's own order rules, on a provisional order built from what parsed."""
        person_value = value.get("person") or {}
        issued = value.get("issued_on") or value.get("notified_on") or timezone.localdate()
        notified = value.get("notified_on") or issued
        term = value.get("departure_term_days", 30)
        reason = value.get("term_reason", "") if "term_reason" not in errors else "-"
        provisional = OrderData(
            external_reference="-",
            issued_on=issued,
            notified_on=notified,
            departure_term_days=term,
            term_reason=reason,
            person=PersonData(family_name="-", birth_date=person_value.get("birth_date")),
            unaccompanied_minor=value.get("household", {}).get("unaccompanied_minor", False),
            minor_children=value.get("household", {}).get("minor_children", 0),
            # The household rules compare what parsed; a field that failed already has its error.
            target_group="" if {"household", "target_group"} & set(errors) else value.get("target_group", ""),
        )
        for path, code, message in validate_order(provisional):
            add_error(errors, path, code, message)


def order_data(validated: dict) -> OrderData:
    person = validated["person"]
    address = person.get("address") or {}
    household = validated.get("household") or {}
    flags = validated.get("flags") or {}
    return OrderData(
        external_reference=validated["external_reference"],
        issued_on=validated["issued_on"],
        notified_on=validated["notified_on"],
        departure_term_days=validated["departure_term_days"],
        term_reason=validated.get("term_reason", ""),
        legal_basis=validated.get("legal_basis", ""),
        entry_ban_years=validated.get("entry_ban_years", 0),
        person=PersonData(
            family_name=person["family_name"],
            given_names=person.get("given_names", ""),
            birth_date=person.get("birth_date"),
            sex=person.get("sex", "X"),
            nationality=person.get("nationality", ""),
            national_number=person.get("national_number", ""),
            dossier_number=person.get("dossier_number", ""),
            languages=tuple(person.get("languages", ())),
            street=address.get("street", ""),
            postcode=address.get("postcode", ""),
            municipality=address.get("municipality", ""),
            phone=person.get("phone", ""),
            email=person.get("email", ""),
        ),
        minor_children=household.get("minor_children", 0),
        unaccompanied_minor=household.get("unaccompanied_minor", False),
        public_order=flags.get("public_order", False),
        nuisance=flags.get("nuisance", False),
        vulnerable=flags.get("vulnerable", False),
        target_group=validated.get("target_group", ""),
    )


class ParsedJson(serializers.JSONField):
    """Any JSON value of a parsed body, taken as it is: DRF's JSONField encodes each one again to
    check that it could be (a thousand times per batch)."""

    def to_internal_value(self, data):
        return data


class BatchSerializer(StrictSerializer):
    """Only the envelope: each order is parsed on its own so one bad order blocks nothing."""

    orders = serializers.ListField(child=ParsedJson(allow_null=True), min_length=1, max_length=1000)


# --- legal events in --------------------------------------------------------------------
class ProcedureSerializer(StrictSerializer):
    """A legal procedure lodged, or decided (`decision` with `decided_on`)."""

    kind = serializers.ChoiceField(choices=LegalProcedure.Kind.choices)
    lodged_on = IsoDate(validators=[not_after_today, order_era])
    suspensive = StrictBoolean(required=False, allow_null=True, default=None,
                                          help_text="Defaults from the kind of procedure.")
    decision = serializers.ChoiceField(
        choices=[c for c in LegalProcedure.Status.choices if c[0] != LegalProcedure.Status.PENDING],
        required=False, allow_blank=True, default="",
    )
    decided_on = IsoDate(required=False, allow_null=True, default=None, validators=[not_after_today, order_era])
    reference = Text(max_length=64)


class DepartureSerializer(StrictSerializer):
    """A departure confirmed by a partner."""

    departed_on = IsoDate(validators=[not_after_today, order_era])
    evidence = serializers.ChoiceField(choices=Case.DepartureEvidence.choices)
    destination_country = CountryCode(required=False, allow_blank=True, default="")


# --- case status out --------------------------------------------------------------------
class RefSerializer(serializers.Serializer):
    """An office, by id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class CounsellorRefSerializer(serializers.Serializer):
    """The counsellor following the case."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")


class NextConversationSerializer(serializers.Serializer):
    """The next planned conversation: when, where, how (never its notes)."""

    planned_at = serializers.DateTimeField()
    office = RefSerializer(allow_null=True)
    mode = serializers.CharField()


class EventSerializer(serializers.Serializer):
    """One step of the case's timeline."""

    kind = serializers.ChoiceField(choices=[c for c in CaseEvent.Kind.choices if c[0] not in STAFF_ONLY_EVENT_KINDS])
    at = serializers.DateTimeField()
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)


class CaseSerializer(serializers.Serializer):
    """A case as an external system may see it: status, never notes or another person's data."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    external_references = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    office = RefSerializer(allow_null=True)
    counsellor = CounsellorRefSerializer(allow_null=True)
    departure_deadline = serializers.DateField(allow_null=True)
    next_conversation = serializers.SerializerMethodField()
    legal_dates = serializers.SerializerMethodField()
    detention = serializers.SerializerMethodField()
    term_decisions = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_url(self, case) -> str:
        request = self.context.get("request")
        path = f"/api/v1/cases/{case.pk}/"
        return request.build_absolute_uri(path) if request is not None else path

    def get_external_references(self, case) -> list[str]:
        return [order.external_reference for order in getattr(case, "api_orders", case.orders.all())]

    @staticmethod
    def _next(case):
        planned = getattr(case, "api_planned", None)
        if planned is None:
            return next_planned_conversation(case)
        return planned[0] if planned else None

    @extend_schema_field(NextConversationSerializer(allow_null=True))
    def get_next_conversation(self, case) -> dict | None:
        conversation = self._next(case)
        if conversation is None:
            return None
        return NextConversationSerializer(conversation).data

    @extend_schema_field(LegalDatesSerializer())
    def get_legal_dates(self, case) -> dict:
        dates = legal_dates(case, orders=getattr(case, "api_all_orders", None), periods=getattr(case, "api_periods", None))
        return LegalDatesSerializer(dates).data

    @extend_schema_field(DetentionSerializer(allow_null=True))
    def get_detention(self, case) -> dict | None:
        periods = getattr(case, "api_periods", None)
        if periods is None:
            periods = list(case.detention_periods.prefetch_related("decisions"))
        if not periods:
            return None
        period = max(periods, key=lambda p: (p.started_on, p.pk))
        return DetentionSerializer({
            "started_on": period.started_on, "ended_on": period.ended_on, "days_held": period.days_held,
            "limit": period.limit_date, "limit_months": period.limit_months,
            "decisions": sorted(period.decisions.all(), key=lambda d: (d.created_at, d.pk)),
        }).data

    @extend_schema_field(TermDecisionOutSerializer(many=True))
    def get_term_decisions(self, case) -> list[dict]:
        decisions = getattr(case, "api_terms", None)
        if decisions is None:
            decisions = list(case.term_decisions.order_by("decided_on", "id"))
        # many=True builds a ListSerializer, whose data is a list; the stubs type the Serializer's (a dict).
        return cast(list[dict], TermDecisionOutSerializer(decisions, many=True).data)

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, case) -> list[dict]:
        events = getattr(case, "api_events", None)
        if events is None:
            events = sorted(case.events.exclude(kind__in=STAFF_ONLY_EVENT_KINDS), key=lambda e: (e.at, e.pk))
        return [{"kind": e.kind, "at": serializers.DateTimeField().to_representation(e.at),
                 "from_state": e.from_state, "to_state": e.to_state} for e in events]


class OrderAnswerSerializer(serializers.Serializer):
    """The answer to an order: the case it opened or joined."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    office = RefSerializer(allow_null=True)
    counsellor = CounsellorRefSerializer(allow_null=True)
    departure_deadline = serializers.DateField(allow_null=True)
