from django.urls import path

from compliance import views

urlpatterns = [
    path("staff/compliance/", views.staff_compliance, name="staff_compliance"),
    path(
        "staff/<int:pk>/compliance/",
        views.staff_compliance_detail,
        name="staff_compliance_detail",
    ),
]
