from django.urls import path

from counselling.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<int:conversation_id>/", views.letter, name="letter"),
]
