from django.urls import path

from records import views

urlpatterns = [
    path("retention/", views.retention_home, name="retention_home"),
    path("retention/rules/<slug:kind>/", views.retention_rule, name="retention_rule"),
    path("retention/reviews/<int:pk>/", views.retention_review, name="retention_review"),
    path(
        "retention/reviews/<int:pk>/confirm/",
        views.retention_review_confirm,
        name="retention_review_confirm",
    ),
    path("retention/holds/new/", views.legal_hold_new, name="legal_hold_new"),
    path(
        "retention/holds/<int:pk>/release/",
        views.legal_hold_release,
        name="legal_hold_release",
    ),
    path("subject-access/", views.sar_list, name="sar_list"),
    path("subject-access/<int:pk>/", views.sar_detail, name="sar_detail"),
    path("subject-access/<int:pk>/export.zip", views.sar_export, name="sar_export"),
    path("subject-access/<int:pk>/complete/", views.sar_complete, name="sar_complete"),
]
