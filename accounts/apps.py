from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    label = "safeguard"
    verbose_name = "Organisations and staff accounts"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401 - connects the sign-in receivers


class StaffAdminConfig(admin_apps.AdminConfig):
    """The Django admin, for platform operators: like every staff page it needs a
    verified second factor, and its login link sends people to our sign-in."""

    default = False
    default_site = "two_factor.admin.AdminSiteOTPRequired"
