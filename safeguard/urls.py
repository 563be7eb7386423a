"""The URL map: each domain's pages come from its own app. Names are global
(no namespaces) so a template links to "child_detail" wherever it lives."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

urlpatterns: list[URLPattern | URLResolver] = [
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
    # Public: a parent switches language on pages they reach without an account.
    path("language/", login_not_required(require_POST(set_language)), name="set_language"),
    path("admin/", admin.site.urls),
]
