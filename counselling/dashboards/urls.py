from django.urls import path

from counselling.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("office/", views.office, name="office"),
    path("national/", views.national, name="national"),
    path("conversations/", views.conversations, name="conversations"),
    path("export/cases.csv", views.export_cases, name="export_cases"),
    path("export/<slug:page>/<slug:table>.csv", views.export_table, name="export"),
]
