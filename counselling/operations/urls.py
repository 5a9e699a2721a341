from django.urls import path

from counselling.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.index, name="index"),
    path("messages/<int:message_id>/resolve/", views.resolve_message, name="resolve_message"),
    path("letters/<int:conversation_id>/", views.letter, name="letter"),
]
