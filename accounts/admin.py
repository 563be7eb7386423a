from django.contrib import admin
from django.http import HttpRequest

from accounts.models import Organisation, User
from common.admin import ReadOnlyAdmin


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
