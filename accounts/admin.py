from django.contrib import admin
from django.http import HttpRequest
from django_otp_webauthn.models import WebAuthnCredential

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


@admin.register(WebAuthnCredential)
class PasskeyAdmin(ReadOnlyAdmin):
    """Passkeys are added and removed only by their owner, from their own
    security page, where each change is audited; an admin resets a lost sign-in
    from the staff pages. Key material is not shown."""

    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "backup_state"]
