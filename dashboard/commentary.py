"""The commentary a director or admin writes for the board report of a period.
Each save adds a version; the latest is the one printed."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from accounts.models import Organisation, Role, User
from audit import services as audit
from dashboard.models import BoardCommentary

WRITERS = frozenset({Role.DIRECTOR, Role.ADMIN})


def may_write_commentary(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in WRITERS


@transaction.atomic
def commentary_save(
    *, organisation: Organisation, by: User, start: dt.date, end: dt.date, text: str
) -> BoardCommentary:
    """A new version of the period's commentary; the earlier ones stay."""
    if not may_write_commentary(by) or by.organisation_id != organisation.pk:
        raise ValidationError(gettext("Only a director or an admin writes the board's commentary."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": gettext("Write the commentary.")})
    commentary = BoardCommentary(
        organisation=organisation, period_start=start, period_end=end, text=text, written_by=by
    )
    commentary.full_clean()
    commentary.save()
    audit.record(
        action="dashboard.commentary_saved",
        actor=by,
        obj=commentary,
        details={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "version": commentary_versions(organisation, start, end).count(),
            "characters": len(text),
        },
    )
    return commentary


def commentary_versions(
    organisation: Organisation, start: dt.date, end: dt.date
) -> QuerySet[BoardCommentary]:
    return BoardCommentary.objects.filter(
        organisation=organisation, period_start=start, period_end=end
    ).order_by("-written_at", "-pk")


def commentary_latest(
    organisation: Organisation, start: dt.date, end: dt.date
) -> BoardCommentary | None:
    return commentary_versions(organisation, start, end).select_related("written_by").first()
