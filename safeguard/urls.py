"""The URL map: each domain's pages come from its own app. Names are global
(no namespaces) so a template links to "child_detail" wherever it lives."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("ops.urls")),
    path("", include("accounts.urls")),
    path("", include("notices.urls")),
    path("", include("outbox.urls")),
    path("", include("children.urls")),
    path("", include("compliance.urls")),
    path("", include("records.urls")),
    path("", include("consent.urls")),
    path("", include("practice.contact_urls")),
    path("policies/", include("policies.urls")),
    path("incidents/", include("incidents.urls")),
    path("allegations/", include("allegations.urls")),
    path("practice/", include("practice.urls")),
    path("supervision/", include("supervision.urls")),
    path("admin/", admin.site.urls),
]
