"""API of the return work: the identification unit (``identification:write``) and the return
partners (``returns:partner``). Views parse, call one service, answer."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from cases.access_log import record_access
from cases.api.auth import client_of
from cases.api.base import ApiView
from cases.api.docs import IDEMPOTENCY_KEY, error_responses
from cases.api.returns_serializers import (
    ConsularRequestInSerializer,
    ConsularRequestSerializer,
    ConsularRequestUpdateSerializer,
    FollowUpInSerializer,
    FollowUpSerializer,
    ReferralSerializer,
    StageSerializer,
    SupportInSerializer,
    SupportSerializer,
    TravelDocumentInSerializer,
    TravelDocumentSerializer,
    TravelDocumentUpdateSerializer,
)
from cases.api.views import CasePagination, IdempotentPost
from cases.returns import services
from cases.returns.access import access_for_identification
from cases.returns.models import Referral, ReintegrationSupport

IDENTIFICATION = "identification:write"
PARTNER = "returns:partner"


# --- identification ---------------------------------------------------------------------
class TravelDocumentsView(IdempotentPost, ApiView):
    required_scopes = {"GET": IDENTIFICATION, "POST": IDENTIFICATION}

    @extend_schema(operation_id="cases_travel_documents_list", summary="The travel documents held or missing",
                   responses={(200, "application/json"): TravelDocumentSerializer(many=True), **error_responses(401, 403, 404, 429)},
                   tags=["identification"])
    def get(self, request, case_id: int):
        case = access_for_identification(actor=request.user, case_id=case_id)
        record_access(actor=request.user, via="api", cases=[case])
        return Response(TravelDocumentSerializer(case.travel_documents.all(), many=True).data)

    @extend_schema(operation_id="cases_travel_documents_create", summary="Record a travel document held or missing",
                   request=TravelDocumentInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={(201, "application/json"): TravelDocumentSerializer,
                              **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                   tags=["identification"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, case_id: int):
        serializer = TravelDocumentInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.record_travel_document(actor=request.user, case_id=case_id, **serializer.validated_data)
        return Response(TravelDocumentSerializer(document).data, status=201)


class TravelDocumentView(ApiView):
    required_scopes = {"PATCH": IDENTIFICATION}

    @extend_schema(operation_id="cases_travel_documents_update", summary="Change a travel document (only the fields sent)",
                   request=TravelDocumentUpdateSerializer,
                   responses={(200, "application/json"): TravelDocumentSerializer,
                              **error_responses(400, 401, 403, 404, 413, 415, 429)},
                   tags=["identification"])
    def patch(self, request, case_id: int, document_id: int):
        serializer = TravelDocumentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.update_travel_document(actor=request.user, case_id=case_id, document_id=document_id,
                                                   **serializer.validated_data)
        return Response(TravelDocumentSerializer(document).data)


class ConsularRequestsView(IdempotentPost, ApiView):
    required_scopes = {"GET": IDENTIFICATION, "POST": IDENTIFICATION}

    @extend_schema(operation_id="cases_consular_requests_list", summary="The requests to consulates and their answers",
                   responses={(200, "application/json"): ConsularRequestSerializer(many=True), **error_responses(401, 403, 404, 429)},
                   tags=["identification"])
    def get(self, request, case_id: int):
        case = access_for_identification(actor=request.user, case_id=case_id)
        record_access(actor=request.user, via="api", cases=[case])
        return Response(ConsularRequestSerializer(case.consular_requests.all(), many=True).data)

    @extend_schema(operation_id="cases_consular_requests_create",
                   summary="Record a request to a consulate for a laissez-passer or identification",
                   description="Starts the timer: the counsellor is reminded before an interview and when no answer came "
                               "within RETURNPATH_CONSULAR_ANSWER_DAYS of the request or the last reminder.",
                   request=ConsularRequestInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={(201, "application/json"): ConsularRequestSerializer,
                              **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                   tags=["identification"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, case_id: int):
        serializer = ConsularRequestInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consular_request = services.record_consular_request(actor=request.user, case_id=case_id, **serializer.validated_data)
        return Response(ConsularRequestSerializer(consular_request).data, status=201)


class ConsularRequestView(ApiView):
    required_scopes = {"PATCH": IDENTIFICATION}

    @extend_schema(operation_id="cases_consular_requests_update",
                   summary="An interview planned or held, a reminder sent, or the answer (issued, refused, no answer)",
                   description="The same answer reported again changes nothing; another answer after the first is a 409.",
                   request=ConsularRequestUpdateSerializer,
                   responses={(200, "application/json"): ConsularRequestSerializer,
                              **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                   tags=["identification"])
    def patch(self, request, case_id: int, request_id: int):
        serializer = ConsularRequestUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("interview_on", "")  # not sent: leave the planned interview alone
        consular_request = services.update_consular_request(actor=request.user, case_id=case_id, request_id=request_id, **data)
        return Response(ConsularRequestSerializer(consular_request).data)


# --- partners ---------------------------------------------------------------------------
def partner_referrals(request):
    """Only the referrals made to the calling partner: the one scoping of this part of the API."""
    client = client_of(request)
    return (
        Referral.objects.filter(partner=client).select_related("case__person")
        .prefetch_related(Prefetch("support", queryset=ReintegrationSupport.objects.select_related("referral__case")), "follow_ups")
    )


def own_referral(request, referral_id: int) -> Referral:
    referral = partner_referrals(request).filter(pk=referral_id).first()
    if referral is None:
        raise Http404("No such referral.")
    record_access(actor=request.user, via="api", cases=[referral.case_id])
    return referral


class ReferralPagination(CasePagination):
    ordering = ("-id",)


class ReferralListView(ApiView):
    required_scopes = {"GET": PARTNER}
    pagination_class = ReferralPagination

    @extend_schema(operation_id="referrals_list", summary="The voluntary returns referred to you, newest first",
                   parameters=[OpenApiParameter("stage", OpenApiTypes.STR, enum=Referral.Stage.values),
                               OpenApiParameter("cursor", OpenApiTypes.STR), OpenApiParameter("page_size", OpenApiTypes.INT)],
                   responses={(200, "application/json"): ReferralSerializer(many=True), **error_responses(400, 401, 403, 429)},
                   tags=["return partners"])
    def get(self, request):
        referrals = partner_referrals(request)
        stage = request.query_params.get("stage")
        if stage:
            referrals = referrals.filter(stage=stage)
        paginator = self.pagination_class()
        page: list[Referral] | None = paginator.paginate_queryset(referrals, request, view=self)
        assert page is not None  # ReferralPagination always has a page size
        record_access(actor=request.user, via="api", cases=[r.case_id for r in page])
        return paginator.get_paginated_response(ReferralSerializer(page, many=True).data)


class ReferralDetailView(ApiView):
    required_scopes = {"GET": PARTNER}

    @extend_schema(operation_id="referrals_retrieve", summary="One referral: traveller, needs, stage, reintegration",
                   responses={(200, "application/json"): ReferralSerializer, **error_responses(401, 403, 404, 429)},
                   tags=["return partners"])
    def get(self, request, referral_id: int):
        return Response(ReferralSerializer(own_referral(request, referral_id)).data)


class ReferralStageView(IdempotentPost, ApiView):
    required_scopes = {"POST": PARTNER}

    @extend_schema(operation_id="referrals_stages_create", summary="Report acceptance, booking (flight, date) or cancellation",
                   description="The departure itself is confirmed through `POST /api/v1/cases/{id}/departure/`; the referral "
                               "then shows `departed`.",
                   request=StageSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={(200, "application/json"): ReferralSerializer,
                              **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                   tags=["return partners"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, referral_id: int):
        serializer = StageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_referral_stage(actor=request.user, referral_id=referral_id, **serializer.validated_data)
        return Response(ReferralSerializer(own_referral(request, referral_id)).data)


class SupportView(IdempotentPost, ApiView):
    required_scopes = {"POST": PARTNER}

    @extend_schema(operation_id="referrals_support_create", summary="Reintegration support planned or delivered (in kind)",
                   request=SupportInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={(201, "application/json"): SupportSerializer,
                              **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                   tags=["return partners"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, referral_id: int):
        serializer = SupportInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        support = services.record_reintegration_support(actor=request.user, referral_id=referral_id, **serializer.validated_data)
        return Response(SupportSerializer(support).data, status=201)


class SupportLineView(ApiView):
    required_scopes = {"PUT": PARTNER}

    @extend_schema(operation_id="referrals_support_update", summary="Replace a support line (e.g. now delivered)",
                   request=SupportInSerializer,
                   responses={(200, "application/json"): SupportSerializer, **error_responses(400, 401, 403, 404, 409, 413, 415, 429)},
                   tags=["return partners"])
    def put(self, request, referral_id: int, support_id: int):
        serializer = SupportInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        support = services.record_reintegration_support(actor=request.user, referral_id=referral_id, support_id=support_id,
                                                        **serializer.validated_data)
        return Response(SupportSerializer(support).data)


class FollowUpView(IdempotentPost, ApiView):
    required_scopes = {"POST": PARTNER}

    @extend_schema(operation_id="referrals_follow_ups_create", summary="A follow-up contact at 1, 3, 6 or 12 months after return",
                   description="The same report again answers 200 with the recorded contact; other content for the same "
                               "month is a 409.",
                   request=FollowUpInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={(201, "application/json"): FollowUpSerializer, (200, "application/json"): FollowUpSerializer,
                              **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                   tags=["return partners"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, request, referral_id: int):
        serializer = FollowUpInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact, created = services.record_follow_up_contact(actor=request.user, referral_id=referral_id, **serializer.validated_data)
        return Response(FollowUpSerializer(contact).data, status=201 if created else 200)
