"""/api/v1/ — the operations of DESIGN §6."""

from django.urls import path

from cases.api import legal_views, views

urlpatterns = [
    path("orders/", views.OrderView.as_view(), name="api-orders"),
    path("orders/batch/", views.OrderBatchView.as_view(), name="api-orders-batch"),
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/<int:case_id>/", views.CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:case_id>/procedures/", views.ProcedureView.as_view(), name="api-case-procedures"),
    path("cases/<int:case_id>/departure/", views.DepartureView.as_view(), name="api-case-departure"),
    path("cases/<int:case_id>/term-extensions/", legal_views.TermExtensionView.as_view(), name="api-case-term-extensions"),
    path("cases/<int:case_id>/term-shortenings/", legal_views.TermShorteningView.as_view(), name="api-case-term-shortenings"),
]
