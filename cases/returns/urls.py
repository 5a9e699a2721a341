from django.urls import path

from cases.returns import views

urlpatterns = [
    path("cases/<int:case_id>/travel-documents/", views.travel_document, name="travel_document"),
    path("cases/<int:case_id>/consular-requests/", views.consular_request, name="consular_request"),
    path("cases/<int:case_id>/consular-requests/<int:request_id>/", views.consular_update, name="consular_update"),
    path("cases/<int:case_id>/referral/", views.refer, name="refer"),
    path("cases/<int:case_id>/referral/<int:referral_id>/cancel/", views.cancel_referral, name="cancel_referral"),
    path("cases/<int:case_id>/vulnerability/", views.vulnerability, name="vulnerability"),
    path("cases/<int:case_id>/unfit-to-travel/", views.unfit, name="unfit"),
    path("cases/<int:case_id>/unfit-to-travel/lift/", views.lift_unfit, name="lift_unfit"),
    path("cases/<int:case_id>/removals/", views.plan_removal, name="plan_removal"),
    path("cases/<int:case_id>/removals/<int:operation_id>/outcome/", views.removal_outcome, name="removal_outcome"),
    path("cases/<int:case_id>/documents/", views.upload, name="upload_document"),
    path("cases/<int:case_id>/documents/<int:document_id>/", views.download, name="download_document"),
    path("returns/overdue/", views.overdue, name="returns_overdue"),
    path("returns/figures/", views.figures, name="returns_figures"),
]
