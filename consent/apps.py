from django.apps import AppConfig


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consent"

    def ready(self) -> None:
        from consent import views
        from safeguard import child_sections

        child_sections.register(views.child_section)
