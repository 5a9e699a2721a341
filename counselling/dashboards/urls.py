from django.urls import path

from counselling.dashboards import views
from returnpath.db_routing import reporting_view

app_name = "dashboards"
urlpatterns = [
    path("office/", reporting_view(views.office), name="office"),
    path("national/", reporting_view(views.national), name="national"),
    path("conversations/", reporting_view(views.conversations), name="conversations"),
    path("export/cases.csv", reporting_view(views.export_cases), name="export_cases"),
    path("export/<slug:page>/<slug:table>.csv", reporting_view(views.export_table), name="export"),
]
