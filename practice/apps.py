from django.apps import AppConfig


class PracticeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "practice"

    def ready(self) -> None:
        from practice import reminders as practice_reminders
        from safeguard import compliance, reminders

        reminders.register(practice_reminders.practice_due)
        compliance.register_requirement(practice_reminders.online_presence_training)
