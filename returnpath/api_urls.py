# The REST API for external systems (cases.api), its schema and its self-hosted docs.
from functools import wraps

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from cases.api.views import ProblemTypeView, api_not_found


def docs_view(view):
    """The schema and the docs pages for signed-in staff only when the setting says so (on in
    production, decision 021); read at request time so that a test can switch it."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.RETURNPATH_API_DOCS_REQUIRE_LOGIN and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("api/schema/", docs_view(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script.
    path("api/docs/", docs_view(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    # Redoc starts a web worker from a blob: URL.
    path("api/redoc/", docs_view(csp_update({"worker-src": ["'self'", "blob:"]})(
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"))), name="api-redoc"),
    path("api/problems/<slug:slug>/", ProblemTypeView.as_view(), name="api-problem-type"),
    path("api/v1/", include("cases.api.urls")),
    re_path(r"^api/", api_not_found),
]
