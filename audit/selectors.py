from django.db import models

from audit.labels import labels_for
from audit.models import AuditEvent


def events_about(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Every audit event about one object, whichever label it was written under."""
    return AuditEvent.objects.filter(
        object_type__in=labels_for(type(obj)), object_id=str(obj.pk)
    ).order_by("seq")
