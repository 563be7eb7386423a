from django.urls import path

from compliance import views

urlpatterns = [
    path("induction/", views.induction, name="induction"),
    path("staff/compliance/", views.staff_compliance, name="staff_compliance"),
    path("staff/training/roles/", views.role_training, name="role_training"),
    path(
        "staff/training/<int:pk>/certificate/",
        views.training_certificate_download,
        name="training_certificate_download",
    ),
    path(
        "staff/<int:pk>/compliance/",
        views.staff_compliance_detail,
        name="staff_compliance_detail",
    ),
]
