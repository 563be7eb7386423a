from django.apps import AppConfig


class AllegationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "allegations"
