"""The contact log's page sits under the child it is about, not under practice/."""

from django.urls import path

from practice import views

urlpatterns = [
    path("children/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
]
