from django.urls import path

from notices import views

urlpatterns = [
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/<int:pk>/open/", views.notice_open, name="notice_open"),
    path("notices/read-all/", views.notice_read_all, name="notice_read_all"),
]
