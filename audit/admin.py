from django.contrib import admin

from audit.models import AuditEvent
from common.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "occurred_at", "organisation", "actor_label", "action", "object_type"]
    list_filter = ["action", "organisation"]
    search_fields = ["actor_label", "object_id"]
