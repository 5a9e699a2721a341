# The REST API for external systems (cases.api), its schema and its self-hosted docs.
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cases.api.views import ProblemTypeView, api_not_found

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"), name="api-redoc"),
    path("api/problems/<slug:slug>/", ProblemTypeView.as_view(), name="api-problem-type"),
    path("api/v1/", include("cases.api.urls")),
    re_path(r"^api/", api_not_found),
]
