from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"

    def ready(self) -> None:
        from children import sections as child_sections
        from incidents import reminders as incident_reminders
        from incidents import retention as incident_retention
        from incidents import views
        from notices import engine as reminders
        from records import retention, subject_access

        child_sections.register(views.child_section)
        reminders.register(incident_reminders.ico_deadlines)
        reminders.register(incident_reminders.referral_chases)
        reminders.register(incident_reminders.next_actions)
        retention.register(incident_retention.INCIDENTS)
        subject_access.mark_safeguarding("incidents")
        subject_access.register_documents("incidents", incident_retention.subject_access_documents)
