from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/tables/<slug:slug>/", views.dashboard_table, name="dashboard_table"),
    path("dashboard/tables/<slug:slug>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("dashboard/board-report.pdf", views.board_report, name="board_report"),
    path("dashboard/commentary/", views.board_commentary, name="board_commentary"),
]
