"""Notices that apps below this one raise at once (common.registry.ANNOUNCEMENTS).

They go through the same ledger as every reminder: claimed once, shown in the
portal at once and, being urgent, emailed after the commit.
"""

from collections.abc import Sequence

from django.db import models
from django.utils import timezone

from accounts.models import Organisation, User
from common.registry import ANNOUNCEMENTS
from notices import engine


@ANNOUNCEMENTS.register
def notice_now(
    *,
    organisation: Organisation,
    kind: str,
    obj: models.Model,
    stage: str,
    recipients: Sequence[User],
    title: str,
    url: str,
) -> None:
    engine.notify_now(
        organisation=organisation,
        item=engine.DueItem(
            kind=kind,
            obj=obj,
            stage=stage,
            recipients=recipients,
            due_at=timezone.now(),
            title=title,
            url=url,
            urgent=True,
        ),
    )
