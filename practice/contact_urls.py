"""The contact log's and the planner's pages sit under the child they are about
(a contact's message copy and follow-ups beside them), not under practice/."""

from django.urls import path

from practice import planning_views, views

urlpatterns = [
    path("children/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path("children/<int:pk>/sessions/plan/", planning_views.plan_new, name="plan_new"),
    path(
        "contacts/<int:pk>/message/",
        views.contact_message_download,
        name="contact_message_download",
    ),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]
