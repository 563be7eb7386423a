from django.apps import AppConfig


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consent"

    def ready(self) -> None:
        from children import sections as child_sections
        from consent import reminders as consent_reminders
        from consent import retention as consent_retention
        from consent import views
        from notices import engine as reminders
        from records import retention, subject_access

        child_sections.register(views.child_section)
        reminders.register(consent_reminders.consent_expiring)
        reminders.register(consent_reminders.takedowns_open)
        retention.register(consent_retention.CONTACT_LOGS)
        retention.register(consent_retention.CONSENT_RECORDS)
        subject_access.register_documents("consent", consent_retention.subject_access_documents)
