from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"

    def ready(self) -> None:
        from incidents import reminders as incident_reminders
        from incidents import views
        from safeguard import child_sections, reminders

        child_sections.register(views.child_section)
        reminders.register(incident_reminders.ico_deadlines)
        reminders.register(incident_reminders.referral_chases)
        reminders.register(incident_reminders.next_actions)
