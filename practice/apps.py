from django.apps import AppConfig


class PracticeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "practice"

    def ready(self) -> None:
        from compliance import services as compliance
        from notices import engine as reminders
        from practice import reminders as practice_reminders

        reminders.register(practice_reminders.practice_due)
        compliance.register_requirement(practice_reminders.online_presence_training)
