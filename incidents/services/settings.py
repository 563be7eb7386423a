"""The organisation's incident settings (second sign-off)."""

from django.db import transaction

from accounts.models import Organisation, User
from audit import services as audit
from incidents.models import (
    IncidentSettings,
)


def settings_for(organisation: Organisation) -> IncidentSettings:
    found = IncidentSettings.objects.filter(organisation=organisation).first()
    return found or IncidentSettings(organisation=organisation)


@transaction.atomic
def incident_settings_update(
    *,
    organisation: Organisation,
    second_signoff: str,
    by: User,
) -> IncidentSettings:
    settings, _ = IncidentSettings.objects.get_or_create(organisation=organisation)
    settings.second_signoff = second_signoff
    settings._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    settings.save()
    audit.record(
        action="incident.settings_changed",
        actor=by,
        obj=settings,
        details={"second_signoff": second_signoff},
    )
    return settings
