"""The urgent notice email (a high-risk concern raised, say), written when sent."""

import zoneinfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import LEAD_ROLES, User
from accounts.permissions import is_admin
from common.registry import EMAIL_COMPOSERS
from notices.models import Notice
from notices.subjects import urgent_subject
from outbox.composers import Composed, Composer

KIND = "notices.urgent"


def _compose(notice: Notice) -> Composed | None:
    if not notice.recipient.is_active:
        return None
    context = {
        "user": notice.recipient,
        "notice": notice,
        "link": settings.SITE_URL + notice.url,
        "organisation": notice.organisation,
    }
    with timezone.override(zoneinfo.ZoneInfo(notice.organisation.timezone)):
        return Composed(
            subject=urgent_subject(notice),
            body=render_to_string("emails/reminder_urgent.txt", context),
            html=render_to_string("emails/reminder_urgent.html", context),
        )


def _sent(notice: Notice) -> None:
    Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())


def _lead_or_admin(user: User, notice: Notice) -> bool:
    same = user.is_active and user.organisation_id == notice.organisation_id
    return same and (user.role in LEAD_ROLES or is_admin(user))


EMAIL_COMPOSERS.register(
    Composer(
        kind=KIND,
        label="urgent notice",
        compose=_compose,
        visible_to=lambda user, notice: (
            notice.recipient_id == user.pk or _lead_or_admin(user, notice)
        ),
        may_resend=_lead_or_admin,
        url=lambda notice: notice.url,
        still_wanted=lambda notice: notice.recipient.is_active,
        on_sent=_sent,
    )
)
