"""The Django admin, for platform operators only.

Staff accounts are changed through Safeguard's own pages (or `manage.py
invite_staff`), where every change is audited and guarded; here they are
read-only, so nothing can bypass those rules.
"""

from django.contrib import admin
from django.http import HttpRequest

from safeguard.models import AuditEvent, Organisation, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "default_review_interval_months"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["email", "full_name", "organisation", "role", "is_active"]
    list_filter = ["organisation", "role", "is_active"]
    search_fields = ["email", "full_name"]
    exclude = ["password", "user_permissions", "groups"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "occurred_at", "organisation", "actor_label", "action", "object_type"]
    list_filter = ["action", "organisation"]
    search_fields = ["actor_label", "object_id"]
