"""/api/v1/ — the operations of DESIGN §6."""

from django.urls import path

from cases.api import legal_views, views
from cases.api import returns_views as returns

urlpatterns = [
    path("orders/", views.OrderView.as_view(), name="api-orders"),
    path("orders/batch/", views.OrderBatchView.as_view(), name="api-orders-batch"),
    path("orders/batch/<uuid:batch_id>/", views.OrderBatchStatusView.as_view(), name="api-orders-batch-status"),
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/<int:case_id>/", views.CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:case_id>/procedures/", views.ProcedureView.as_view(), name="api-case-procedures"),
    path("cases/<int:case_id>/departure/", views.DepartureView.as_view(), name="api-case-departure"),
    # The return itself: the identification unit and the return partners (cases.returns).
    path("cases/<int:case_id>/travel-documents/", returns.TravelDocumentsView.as_view(), name="api-travel-documents"),
    path("cases/<int:case_id>/travel-documents/<int:document_id>/", returns.TravelDocumentView.as_view(), name="api-travel-document"),
    path("cases/<int:case_id>/consular-requests/", returns.ConsularRequestsView.as_view(), name="api-consular-requests"),
    path("cases/<int:case_id>/consular-requests/<int:request_id>/", returns.ConsularRequestView.as_view(), name="api-consular-request"),
    path("referrals/", returns.ReferralListView.as_view(), name="api-referrals"),
    path("referrals/<int:referral_id>/", returns.ReferralDetailView.as_view(), name="api-referral"),
    path("referrals/<int:referral_id>/stages/", returns.ReferralStageView.as_view(), name="api-referral-stages"),
    path("referrals/<int:referral_id>/support/", returns.SupportView.as_view(), name="api-referral-support"),
    path("referrals/<int:referral_id>/support/<int:support_id>/", returns.SupportLineView.as_view(), name="api-referral-support-line"),
    path("referrals/<int:referral_id>/follow-ups/", returns.FollowUpView.as_view(), name="api-referral-follow-ups"),
    path("cases/<int:case_id>/term-extensions/", legal_views.TermExtensionView.as_view(), name="api-case-term-extensions"),
    path("cases/<int:case_id>/term-shortenings/", legal_views.TermShorteningView.as_view(), name="api-case-term-shortenings"),
]
