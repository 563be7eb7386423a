from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Staff compliance"

    def ready(self) -> None:
        from compliance import reminders as compliance_reminders
        from compliance import services as compliance
        from notices import engine as reminders

        reminders.register(compliance_reminders.sign_in_not_set_up)
        reminders.register(compliance.checks_falling_due)
