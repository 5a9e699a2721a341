from django.urls import path

from counselling.reach import views

app_name = "reach"

urlpatterns = [
    path("p/<str:token>/", views.person_page, name="person_page"),
    path("delivery/<slug:backend>/", views.delivery_callback, name="delivery_callback"),
]
