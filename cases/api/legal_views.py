"""Decisions on the period for voluntary departure, from the order register (scope
``procedures:write``): parse, call the one service, answer with the case."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cases.api.auth import client_of
from cases.api.base import ApiView
from cases.api.docs import IDEMPOTENCY_KEY, error_responses
from cases.api.legal_serializers import TermExtensionSerializer, TermShorteningSerializer
from cases.api.serializers import CaseSerializer
from cases.api.views import IdempotentPost, case_representation
from cases.models import DepartureTermDecision
from cases.selectors import access_case
from cases.services import record_term_decision


class TermDecisionAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    decided_on = serializers.DateField()
    days = serializers.IntegerField()
    previous_deadline = serializers.DateField()
    new_deadline = serializers.DateField()
    case = CaseSerializer()


class _TermDecisionView(IdempotentPost, ApiView):
    required_scopes = {"POST": "procedures:write"}
    kind = ""
    serializer_class: type = TermExtensionSerializer

    def process(self, request, case_id: int):
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision, created = record_term_decision(
            actor=request.user, case_id=case_id, kind=self.kind, client=client_of(request), **serializer.validated_data
        )
        case = access_case(actor=request.user, case_id=case_id)
        body = {
            "id": decision.pk, "kind": decision.kind, "decided_on": decision.decided_on.isoformat(), "days": decision.days,
            "previous_deadline": decision.previous_deadline.isoformat(), "new_deadline": decision.new_deadline.isoformat(),
            "case": case_representation(request, case),
        }
        return Response(body, status=201 if created else 200)


def _term_decision_schema(*, operation_id: str, summary: str, description: str, request: type) -> Callable:
    """The schema of a term decision endpoint: the same answers and errors, its own words."""
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        request=request,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            (201, "application/json"): TermDecisionAnswerSerializer,
            (200, "application/json"): TermDecisionAnswerSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
        tags=["legal events"],
    )


class TermExtensionView(_TermDecisionView):
    kind = DepartureTermDecision.Kind.EXTENSION
    serializer_class = TermExtensionSerializer

    @_term_decision_schema(
        operation_id="cases_term_extensions_create",
        summary="Record an extension of the period for voluntary departure",
        description=(
            "A dated decision extending the period (Return Directive art. 7(2); Aliens Act art. 74/14 §1: length of "
            "stay, school-age children, family ties, a voluntary return being organised). The case's departure "
            "deadline moves by `days`, then to the next working day when it ends on a weekend or Belgian public "
            "holiday; escalation to forced return waits for the new deadline. Scope `procedures:write`."
        ),
        request=TermExtensionSerializer,
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TermShorteningView(_TermDecisionView):
    kind = DepartureTermDecision.Kind.SHORTENING
    serializer_class = TermShorteningSerializer

    @_term_decision_schema(
        operation_id="cases_term_shortenings_create",
        summary="Record a decision cutting the period for voluntary departure short",
        description=(
            "A period granted by the order may be cut short only by a new decision when a risk arises during it "
            "(Return Directive art. 8(2); Aliens Act art. 74/14 §3). The deadline becomes `days` after the decision "
            "(0: at once) and escalation to forced return no longer waits for it. Scope `procedures:write`."
        ),
        request=TermShorteningSerializer,
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
