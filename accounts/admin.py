from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import Organisation, User
from audit import services as audit
from common.admin import ReadOnlyAdmin


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "timezone",
        "default_review_interval_months",
        "dbs_recheck_months",
        "online_dbs_level",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # The logo is uploaded by the organisation's admins on "Parents' pages", where
    # the file is checked and re-encoded; here it would be stored as sent.
    exclude = ["logo"]

    def save_model(
        self, request: HttpRequest, obj: Organisation, form: forms.ModelForm, change: bool
    ) -> None:
        # Settings decide who may work online with children and when policies and
        # checks fall due: each change is on the audit trail, old value beside new.
        super().save_model(request, obj, form, change)
        changed = {
            name: {"from": form.initial.get(name), "to": form.cleaned_data.get(name)}
            for name in form.changed_data
        }
        audit.record(
            action="organisation.settings_changed" if change else "organisation.created",
            actor=request.user if request.user.is_authenticated else None,
            organisation=obj,
            obj=obj,
            details={"changed": changed},
        )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["email", "full_name", "organisation", "role", "is_active"]
    list_filter = ["organisation", "role", "is_active"]
    search_fields = ["email", "full_name"]
    exclude = ["password", "user_permissions", "groups"]


# django-otp's own admin shows an authenticator's secret key (and its QR code) and
# the backup codes, and lets an operator add a device to anyone's account: whoever
# holds the admin could then sign in as any member of staff, unseen. Its modules
# are imported above so that they have registered before being replaced here,
# whatever the order of INSTALLED_APPS. Authenticators are added, removed and reset
# only through Safeguard's own pages, which audit each change and tell the person.
for model in (otp_totp_admin.TOTPDevice, otp_static_admin.StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(ReadOnlyAdmin):
    """Which authenticators exist, never their secret keys."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "user__full_name"]
    # Listed explicitly: a read-only admin shows every model field unless told
    # otherwise, and "key" is the secret.
    fields = [
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "throttling_failure_timestamp",
        "throttling_failure_count",
    ]


@admin.register(StaticDevice)
class BackupCodesAdmin(ReadOnlyAdmin):
    """Who has backup codes, never the codes."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    search_fields = ["user__email", "user__full_name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]


@admin.register(WebAuthnCredential)
class PasskeyAdmin(ReadOnlyAdmin):
    """Passkeys are added and removed only by their owner, from their own
    security page, where each change is audited; an admin resets a lost sign-in
    from the staff pages. Key material is not shown."""

    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "backup_state"]
