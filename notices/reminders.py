"""What the outbox makes due: an email that failed and has not been sent again."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from accounts.models import Organisation, User
from common.registry import REMINDERS
from notices.engine import DueItem, stage_for
from outbox.composers import composer_for
from outbox.models import Delivery, OutboundMessage


@REMINDERS.register
def emails_failed(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """To whoever asked for the email (the admins when Safeguard sent it by
    itself), on the day it failed and weekly after, until it is resent or what
    it was for is over."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    failed = OutboundMessage.objects.filter(
        organisation=organisation, state=Delivery.FAILED, resent_as__isnull=True
    ).select_related("requested_by")
    admins: list[User] | None = None
    for message in failed:
        composer = composer_for(message.kind)
        purpose = message.purpose
        if composer is None or purpose is None or not composer.still_wanted(purpose):
            continue
        due_at = message.failed_at or message.queued_at
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        if message.requested_by is not None and message.requested_by.is_active:
            recipients = [message.requested_by]
        else:
            if admins is None:
                admins = list(User.objects.of(organisation).admins())
            recipients = admins
        yield DueItem(
            kind="outbox.failed",
            obj=message,
            stage=stage,
            recipients=recipients,
            due_at=due_at,
            # The title travels by email: the kind and the reason, never a child's name.
            title=f"An email was not sent ({composer.label}): {message.failure_reason}",
            url=composer.url(purpose),
        )
