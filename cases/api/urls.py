"""/api/v1/ — the operations of DESIGN §6."""

from django.urls import path

from cases.api import views

urlpatterns = [
    path("orders/", views.OrderView.as_view(), name="api-orders"),
    path("orders/batch/", views.OrderBatchView.as_view(), name="api-orders-batch"),
    path("orders/batch/<uuid:batch_id>/", views.OrderBatchStatusView.as_view(), name="api-orders-batch-status"),
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/<int:case_id>/", views.CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:case_id>/procedures/", views.ProcedureView.as_view(), name="api-case-procedures"),
    path("cases/<int:case_id>/departure/", views.DepartureView.as_view(), name="api-case-departure"),
]
