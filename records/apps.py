from django.apps import AppConfig


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "records"
    verbose_name = "Retention, legal holds and subject access"

    def ready(self) -> None:
        from notices import engine as reminders
        from records import retention, subject_access

        reminders.register(retention.reviews_due)
        reminders.register(subject_access.sars_due)
