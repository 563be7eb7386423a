from django.urls import path

from outbox import views

urlpatterns = [
    path("emails/<int:pk>/resend/", views.message_resend, name="email_resend"),
]
