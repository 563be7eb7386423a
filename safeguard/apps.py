from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SafeguardConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "safeguard"
    verbose_name = "Safeguard core"

    def ready(self) -> None:
        from safeguard import (  # noqa: F401 - signals connect
            compliance,
            reminders,
            retention,
            signals,
            staff_reminders,
            subject_access,
        )

        reminders.register(staff_reminders.sign_in_not_set_up)
        reminders.register(compliance.checks_falling_due)
        reminders.register(retention.reviews_due)
        reminders.register(subject_access.sars_due)


class SafeguardAdminConfig(admin_apps.AdminConfig):
    """The Django admin, for platform operators: like every staff page it needs a
    verified second factor, and its login link sends people to our sign-in."""

    default = False
    default_site = "two_factor.admin.AdminSiteOTPRequired"
