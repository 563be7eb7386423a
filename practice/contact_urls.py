"""The contact log's page sits under the child it is about, not under practice/."""

from django.urls import path

from practice import views

urlpatterns = [
    path("children/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path(
        "contacts/<int:pk>/message/",
        views.contact_message_download,
        name="contact_message_download",
    ),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]
