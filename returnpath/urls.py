from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from returnpath import auth_views
from returnpath.observability import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("returnpath.accounts.urls")),
    path("", include("returnpath.api_urls")),
    path("dashboards/", include("counselling.dashboards.urls")),
    path("operations/", include("counselling.operations.urls")),
    path("reach/", include("counselling.reach.urls")),
    path("", include("counselling.urls")),
    path("", include("cases.urls")),
]

if settings.DEBUG:  # pragma: no cover
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

handler500 = "returnpath.error_views.server_error"
