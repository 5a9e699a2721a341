from django.urls import path

from counselling.reach import views

app_name = "reach"

urlpatterns = [
    path("p/<str:token>/", views.person_page, name="person_page"),
    path("delivery/<slug:backend>/", views.delivery_callback, name="delivery_callback"),
]

from counselling.reach import dashboard  # noqa: E402

urlpatterns.append(path("show-up/", dashboard.show_up, name="show_up"))
