"""The API's views: parse, call one service, answer. Rules live in ``cases.services``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access_log import record_access
from cases.api import batch as batch_jobs
from cases.api import idempotency
from cases.api.auth import client_of
from cases.api.base import ApiView
from cases.api.compiled import validated_order
from cases.api.docs import IDEMPOTENCY_KEY, error_responses
from cases.api.models import OrderBatch
from cases.api.problems import PROBLEM_TYPES, Problem, exception_handler, problem_response, type_uri
from cases.api.serializers import (
    BatchSerializer,
    CaseSerializer,
    DepartureSerializer,
    OrderAnswerSerializer,
    OrderSerializer,
    ProcedureSerializer,
    order_data,
)
from cases.conversations import planned_prefetch
from cases.models import Case, CaseEvent, DepartureTermDecision, DetentionPeriod, OrderToLeave, State
from cases.models_review import STAFF_ONLY_EVENT_KINDS
from cases.selectors import access_case, cases_visible_to
from cases.selectors_legal import annotate_earlier_orders
from cases.services import confirm_departure, open_case_from_order, record_procedure


# --- helpers ----------------------------------------------------------------------------
def _ref(obj, name: str):
    return None if obj is None else {"id": obj.pk, "name": name}


def case_url(request, case_id: int) -> str:
    return request.build_absolute_uri(f"/api/v1/cases/{case_id}/")


def order_answer(request, case: Case) -> dict:
    return answer_for_case(request, case_id=case.pk, state=case.state, office=case.office, counsellor=case.counsellor,
                           departure_deadline=case.departure_deadline)


def answer_for_case(request, *, case_id: int, state: str, office, counsellor, departure_deadline) -> dict:
    """The answer to an order, from its case's parts (a batch's status reads them as columns)."""
    return {
        "id": case_id,
        "url": case_url(request, case_id),
        "state": state,
        "office": _ref(office, office.name if office else ""),
        "counsellor": _ref(counsellor, counsellor.get_full_name() if counsellor else ""),
        "departure_deadline": departure_deadline.isoformat() if departure_deadline else None,
    }


def case_prefetches(client) -> list[Prefetch]:
    """What a case representation needs, in three queries for any number of cases."""
    orders = OrderToLeave.objects.order_by("received_at", "id").only("id", "case_id", "external_reference")
    if client is not None and not client.has_scope("cases:read_all"):
        orders = orders.filter(client=client)  # another client's references are its business
    return [
        Prefetch("orders", queryset=orders, to_attr="api_orders"),
        Prefetch("events", queryset=CaseEvent.objects.exclude(kind__in=STAFF_ONLY_EVENT_KINDS).order_by("at", "id")
                 .only("id", "case_id", "kind", "at", "from_state", "to_state"),
                 to_attr="api_events"),
        *planned_prefetch(to_attr="api_planned"),
        # The legal dates read every order of the case (not only this client's) and the detention titles.
        Prefetch("orders", queryset=OrderToLeave.objects.only("id", "case_id", "external_reference", "notified_on", "entry_ban_years"),
                 to_attr="api_all_orders"),
        Prefetch("detention_periods", queryset=DetentionPeriod.objects.prefetch_related("decisions"), to_attr="api_periods"),
        Prefetch("term_decisions", queryset=DepartureTermDecision.objects.order_by("decided_on", "id"), to_attr="api_terms"),
    ]


def case_representation(request, case: Case) -> dict:
    prefetch_related_objects([case], *case_prefetches(client_of(request)))
    return CaseSerializer(case, context={"request": request}).data


class IdempotentPost:
    """POST handlers wrapped in the Idempotency-Key protocol."""

    if TYPE_CHECKING:  # what the view mixed with it provides (never defined here: it would shadow the view's)
        def process(self, request, *args, **kwargs) -> Response: ...

        def handle_exception(self, exc: Exception) -> Response: ...

    def post(self, request, *args, **kwargs):
        def handler():
            try:
                return self.process(request, *args, **kwargs)
            except Exception as exc:
                return self.handle_exception(exc)

        client = client_of(request)
        assert client is not None  # HasScope lets only API clients this far
        return idempotency.run(request=request, client=client, handler=handler)


# --- orders -----------------------------------------------------------------------------
class OrderView(IdempotentPost, ApiView):
    required_scopes = {"POST": "orders:write"}

    @extend_schema(
        operation_id="orders_create",
        summary="Send one order to leave",
        description=(
            "Opens a case (or attaches the order to the person's open case from your own orders) through the same "
            "service as the browser. A person known only from another client's orders gets a new case of yours and a "
            "review by a coordinator: you never get, read or change another client's case. "
            "Idempotent on your `external_reference`: the same order again answers 200 with the case; "
            "the same reference with other content answers 409 and changes nothing."
        ),
        request=OrderSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            (201, "application/json"): OrderAnswerSerializer,
            (200, "application/json"): OrderAnswerSerializer,
            **error_responses(400, 401, 403, 409, 413, 415, 422, 429),
        },
        tags=["orders"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request):
        result = open_case_from_order(actor=request.user, data=order_data(validated_order(request.data)), client=client_of(request))
        body = order_answer(request, result.case)
        return Response(body, status=201 if result.created else 200, headers={"Location": body["url"]})


class OrderBatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_reference = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["pending", "created", "existing", "conflict", "invalid", "error"])
    case = OrderAnswerSerializer(required=False)
    errors = serializers.ListField(child=serializers.DictField(), required=False)  # type: ignore[assignment]  # a field, popped by the metaclass, not Serializer.errors


class OrderBatchAnswerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    status = serializers.ChoiceField(choices=OrderBatch.Status.choices)
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    results = OrderBatchResultSerializer(many=True)


class OrderBatchView(IdempotentPost, ApiView):
    required_scopes = {"POST": "orders:write"}

    def initial(self, request, *args, **kwargs):
        self.max_body_bytes = settings.RETURNPATH_API_MAX_BATCH_BODY_BYTES
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="orders_batch",
        summary="Send up to 1,000 orders at once (processed as a job)",
        description=(
            "Answers `202 Accepted` as soon as the orders are stored, with the job's status URL (also in "
            "`Location`). The orders are processed in the background, in chunks; `GET` the status URL to read "
            "each order's answer, in the order sent: `pending` (not processed yet), `created`, `existing` (the "
            "same order was already received), `conflict` (the reference was used for other content), "
            "`invalid` (with its errors) or `error` (a temporary failure: send that order again). One bad order "
            "never blocks the others. With an `Idempotency-Key`, the same batch sent again answers the same job."
        ),
        request=BatchSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={(202, "application/json"): OrderBatchAnswerSerializer, **error_responses(400, 401, 403, 409, 413, 415, 422, 429)},
        tags=["orders"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request):
        envelope = BatchSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        batch = batch_jobs.accept_order_batch(actor=request.user, client=client_of(request),
                                              orders=list(envelope.validated_data["orders"]))
        body = batch_jobs.batch_answer(request, batch, answer_for=answer_for_case)
        return Response(body, status=202, headers={"Location": body["url"]})


class OrderBatchStatusView(ApiView):
    required_scopes = {"GET": "orders:write"}

    @extend_schema(
        operation_id="orders_batch_status",
        summary="A batch's progress and each order's answer",
        responses={(200, "application/json"): OrderBatchAnswerSerializer, **error_responses(401, 403, 404, 429)},
        tags=["orders"],
    )
    def get(self, request, batch_id):
        batch = OrderBatch.objects.filter(pk=batch_id, client=client_of(request)).first()
        if batch is None:
            raise NotFound
        return Response(batch_jobs.batch_answer(request, batch, answer_for=answer_for_case))


# --- case status ------------------------------------------------------------------------
class CasePagination(CursorPagination):
    ordering: tuple[str, ...] = ("-updated_at", "-id")  # unique: the cursor never skips or repeats a case
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:  # DRF answers 404 for a mangled cursor; it is a bad parameter
            raise serializers.ValidationError(
                {"cursor": [ErrorDetail(_("Invalid cursor: use the `next` or `previous` link as given."), code="invalid_cursor")]}
            ) from None


class CaseFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    office = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    updated_since = serializers.DateTimeField(required=False)


READ_SCOPES = ("cases:read", "cases:read_all")
# What the access log keeps of a list request: the filters, never other (free) parameters.
LOGGED_PARAMETERS = ("state", "office", "updated_since", "page_size")


class CaseListView(ApiView):
    required_scopes = {"GET": READ_SCOPES}
    pagination_class = CasePagination

    @extend_schema(
        operation_id="cases_list",
        summary="The cases of your orders, most recently changed first",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=State.values, description="Only cases in this state."),
            OpenApiParameter("office", OpenApiTypes.INT, description="Only cases followed by this office (its id)."),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Only cases changed at or after this time (ISO 8601)."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The cursor from `next` or `previous`."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200 (default 50)."),
        ],
        responses={(200, "application/json"): CaseSerializer(many=True), **error_responses(400, 401, 403, 429)},
        tags=["cases"],
    )
    def get(self, request):
        filters = CaseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cases = annotate_earlier_orders(cases_visible_to(request.user).select_related("office", "counsellor"))
        wanted = filters.validated_data
        if "state" in wanted:
            cases = cases.filter(state=wanted["state"])
        if "office" in wanted:
            cases = cases.filter(office_id=wanted["office"])
        if "updated_since" in wanted:
            cases = cases.filter(updated_at__gte=wanted["updated_since"])
        paginator = self.pagination_class()
        page: list[Case] | None = paginator.paginate_queryset(cases, request, view=self)
        assert page is not None  # CasePagination always has a page size
        prefetch_related_objects(page, *case_prefetches(client_of(request)))
        record_access(actor=request.user, via="api", cases=page, detail={"list": {k: v for k, v in request.query_params.items() if k in LOGGED_PARAMETERS}})
        return paginator.get_paginated_response(CaseSerializer(page, many=True, context={"request": request}).data)


class CaseDetailView(ApiView):
    required_scopes = {"GET": READ_SCOPES}

    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case of your orders",
        responses={(200, "application/json"): CaseSerializer, **error_responses(401, 403, 404, 429)},
        tags=["cases"],
    )
    def get(self, request, case_id: int):
        case = access_case(actor=request.user, case_id=case_id, log_via="api")
        return Response(case_representation(request, case))


# --- legal events -----------------------------------------------------------------------
class ProcedureAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    reference = serializers.CharField(allow_blank=True)
    lodged_on = serializers.DateField()
    suspensive = serializers.BooleanField()
    status = serializers.CharField()
    decided_on = serializers.DateField(allow_null=True)
    case = CaseSerializer()


class ProcedureView(IdempotentPost, ApiView):
    required_scopes = {"POST": "procedures:write"}

    @extend_schema(
        operation_id="cases_procedures_create",
        summary="Report a legal procedure lodged or decided",
        description=(
            "A suspensive procedure pending on a case in forced return moves it to legal stay review (the law wins "
            "over the workflow). Reporting the same procedure (kind and reference) again is safe: it only adds the "
            "decision if one is given."
        ),
        request=ProcedureSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            (201, "application/json"): ProcedureAnswerSerializer,
            (200, "application/json"): ProcedureAnswerSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
        tags=["legal events"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, case_id: int):
        serializer = ProcedureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        procedure, created = record_procedure(actor=request.user, case_id=case_id, client=client_of(request), **serializer.validated_data)
        case = access_case(actor=request.user, case_id=case_id)
        body = {
            "id": procedure.pk, "kind": procedure.kind, "reference": procedure.reference,
            "lodged_on": procedure.lodged_on.isoformat(), "suspensive": procedure.suspensive, "status": procedure.status,
            "decided_on": procedure.decided_on.isoformat() if procedure.decided_on else None,
            "case": case_representation(request, case),
        }
        return Response(body, status=201 if created else 200)


class DepartureView(IdempotentPost, ApiView):
    # A return partner reports the departures of the cases referred to it (cases.returns).
    required_scopes = {"POST": ("departures:write", "returns:partner")}

    @extend_schema(
        operation_id="cases_departure_create",
        summary="Confirm a departure",
        description="Moves the case to `departed` when its guards allow; otherwise 409 with every reason.",
        request=DepartureSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={(200, "application/json"): CaseSerializer, **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
        tags=["legal events"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, case_id: int):
        serializer = DepartureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = confirm_departure(actor=request.user, case_id=case_id, **serializer.validated_data)
        return Response(case_representation(request, access_case(actor=request.user, case_id=case.pk)))


# --- outside the operations -------------------------------------------------------------
class ProblemTypeView(APIView):
    """What a problem ``type`` URI points to: its status and title."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = ApiView.renderer_classes
    content_negotiation_class = ApiView.content_negotiation_class
    schema = None

    def get_exception_handler(self):
        return exception_handler  # problem+json, as ApiView

    def get(self, request, slug: str):
        if slug not in PROBLEM_TYPES:
            raise Problem("not-found", _("No such problem type."))
        status_code, title = PROBLEM_TYPES[slug]
        return Response({"type": type_uri(request, slug), "title": str(title), "status": status_code})


@csrf_exempt  # no session, no CSRF: a POST to a wrong path must get the same problem as a GET
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer problem+json too, not the site's HTML 404."""
    from rest_framework.renderers import JSONRenderer

    response = problem_response(request, slug="not-found", detail=_("No such endpoint."))
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {}  # type: ignore[attr-defined]  # read by Response.rendered_content; the stubs omit it
    return response
