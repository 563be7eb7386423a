from django.apps import AppConfig


class ChildrenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "children"
    verbose_name = "Children and caseloads"
