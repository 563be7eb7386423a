from django.urls import path

from practice import planning_views, views

urlpatterns = [
    path("", views.practice_home, name="practice_home"),
    path("platforms/new/", views.platform_add, name="platform_add"),
    path("platforms/<int:pk>/assess/", views.platform_assess, name="platform_assess"),
    path("platforms/<int:pk>/approval/", views.platform_approval, name="platform_approval"),
    path("devices/new/", views.device_add, name="device_add"),
    path("devices/<int:pk>/attest/", views.device_attest, name="device_attest"),
    path("settings/", views.practice_settings, name="practice_settings"),
    path("accounts/new/", views.account_edit, name="account_add"),
    path("accounts/<int:pk>/", views.account_edit, name="account_edit"),
    path("tasks/new/", views.task_add, name="task_add"),
    path("tasks/retired/", views.tasks_retired, name="tasks_retired"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/retire/", views.task_retire, name="task_retire"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path(
        "tasks/evidence/<int:pk>/",
        views.task_evidence_download,
        name="task_evidence_download",
    ),
    path("sessions/", planning_views.my_plans, name="my_plans"),
    path("sessions/<int:pk>/", planning_views.plan_detail, name="plan_detail"),
    path("sessions/<int:pk>/cancel/", planning_views.plan_cancel, name="plan_cancel"),
]
