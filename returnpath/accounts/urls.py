from django.urls import path

from returnpath.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/second-factor/", views.verify, name="verify"),
    path("accounts/second-factor/enrol/", views.enrol, name="enrol"),
]
