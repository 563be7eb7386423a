from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "policies"

    def ready(self) -> None:
        from notices import engine as reminders
        from policies import reminders as policy_reminders
        from policies import retention as policy_retention
        from records import retention

        reminders.register(policy_reminders.reviews_due)
        reminders.register(policy_reminders.unread)
        retention.register(policy_retention.POLICY_VERSIONS)
