"""The Django admin, for platform operators only.

Staff accounts are changed through Safeguard's own pages (or `manage.py
invite_staff`), where every change is audited and guarded; here they are
read-only, so nothing can bypass those rules.
"""

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
