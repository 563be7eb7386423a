"""The contact log's and the planner's pages sit under the child they are about,
not under practice/."""

from django.urls import path

from practice import planning_views, views

urlpatterns = [
    path("children/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path("children/<int:pk>/sessions/plan/", planning_views.plan_new, name="plan_new"),
]
