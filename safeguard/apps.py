from django.apps import AppConfig


class SafeguardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safeguard"
    verbose_name = "Safeguard core"
