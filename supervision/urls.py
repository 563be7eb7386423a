from django.urls import path

from supervision import views

urlpatterns = [
    path("", views.supervision_staff, name="supervision_staff"),
    path("mine/", views.supervision_mine, name="supervision_mine"),
    path("settings/", views.supervision_settings, name="supervision_settings"),
    path("sessions/new/", views.session_new, name="supervision_session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="supervision_session"),
    path("actions/<int:pk>/done/", views.action_done, name="supervision_action_done"),
    path("staff/<int:pk>/", views.supervision_staff_detail, name="supervision_staff_detail"),
    path("staff/<int:pk>/cadence/", views.cadence_set, name="supervision_cadence"),
]
