from django.urls import path

from counselling import views

app_name = "counselling"

urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("cases/<int:case_id>/conversations/walk-in/", views.log_conversation, name="log_walk_in"),
    path("cases/<int:case_id>/conversations/plan/", views.plan_conversation, name="plan"),
    path("cases/<int:case_id>/conversations/<int:conversation_id>/log/", views.log_conversation, name="log"),
    path("cases/<int:case_id>/conversations/<int:conversation_id>/reschedule/", views.reschedule_conversation, name="reschedule"),
    path("cases/<int:case_id>/conversations/<int:conversation_id>/cancel/", views.cancel_conversation, name="cancel"),
]
