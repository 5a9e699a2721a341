from django.urls import include, path

from cases import views, views_duplicates, views_legal, views_privacy

app_name = "cases"

urlpatterns = [
    path("cases/", views.caseload, name="caseload"),
    path("cases/<int:case_id>/", views.case_detail, name="detail"),
    path("cases/<int:case_id>/timeline/", views.case_timeline, name="timeline"),
    path("cases/<int:case_id>/steps/<slug:name>/", views.take_step, name="step"),
    path("cases/<int:case_id>/propose-escalation/", views.propose_escalation, name="propose_escalation"),
    path("cases/<int:case_id>/decline/<str:proposal>/", views.decline_proposal, name="decline_proposal"),
    path("cases/<int:case_id>/procedures/", views.record_procedure, name="record_procedure"),
    path("cases/<int:case_id>/procedures/<int:procedure_id>/decide/", views.decide_procedure, name="decide_procedure"),
    path("cases/<int:case_id>/placements/", views.place, name="place"),
    path("cases/<int:case_id>/placements/<int:placement_id>/end/", views.end_placement, name="end_placement"),
    path("cases/<int:case_id>/address/", views.update_address, name="update_address"),
    path("cases/<int:case_id>/best-interest/", views.best_interest, name="best_interest"),
    path("", include("cases.returns.urls")),  # the return itself
    path("cases/<int:case_id>/access/", views_privacy.case_access_log, name="access_log"),
    path("cases/<int:case_id>/history/", views_privacy.case_history, name="history"),
    path("cases/<int:case_id>/access.csv", views_privacy.person_access_export, name="person_access_export"),
    path("cases/<int:case_id>/subject-access/", views_privacy.subject_access_export, name="subject_access"),
    path("cases/duplicates/", views_duplicates.duplicate_list, name="duplicates"),
    path("cases/duplicates/<int:duplicate_id>/merge/", views_duplicates.merge_duplicate, name="merge_duplicate"),
    path("cases/duplicates/<int:duplicate_id>/dismiss/", views_duplicates.dismiss_duplicate, name="dismiss_duplicate"),
    path("cases/<int:case_id>/term-decisions/", views_legal.record_term_decision, name="term_decision"),
    path("cases/<int:case_id>/detention/extend/", views_legal.extend_detention, name="extend_detention"),
    path("cases/<int:case_id>/detention/<int:decision_id>/confirm/", views_legal.confirm_detention, name="confirm_detention"),
    path("cases/<int:case_id>/detention/<int:decision_id>/refuse/", views_legal.refuse_detention, name="refuse_detention"),
    path("cases/<int:case_id>/guardian/", views_legal.record_guardian, name="guardian"),
    path("cases/<int:case_id>/guardian/agreement/", views_legal.record_guardian_agreement, name="guardian_agreement"),
    path("cases/<int:case_id>/came-of-age/", views_legal.review_coming_of_age, name="review_coming_of_age"),
    path("detention/pending/", views_legal.pending_detention, name="pending_detention"),
]
