from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("returnpath.api_urls")),
    path("dashboards/", include("counselling.dashboards.urls")),
    path("operations/", include("counselling.operations.urls")),
    path("", include("counselling.urls")),
    path("", include("cases.urls")),
]

if settings.DEBUG:  # pragma: no cover
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
