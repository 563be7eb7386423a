"""What a member of staff does before opening a child's record: accept every
current code of conduct for staff and confirm their training in using Safeguard.

The check runs on every child's page, so it is kept to a few small queries: one
for the training, and policies.reach's for the code of conduct (none past the
first when the organisation has no code of conduct).
"""

import datetime as dt
from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from common.registry import INDUCTION
from compliance.models import TRAINING_VALID_MONTHS, Delivery, TrainingKind, TrainingRecord
from compliance.services import training_record
from policies import reach
from policies import services as policies
from policies.models import PolicyVersion


def system_training_current(user: User, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    valid_from = today - relativedelta(months=TRAINING_VALID_MONTHS[TrainingKind.SYSTEM])
    return TrainingRecord.objects.filter(
        staff=user, kind=TrainingKind.SYSTEM, completed_on__gt=valid_from
    ).exists()


@INDUCTION.register
def induction_outstanding(user: User) -> bool:
    return not system_training_current(user) or bool(reach.conduct_unread(user))


@transaction.atomic
def induction_complete(
    *,
    user: User,
    versions: Sequence[PolicyVersion],
    system_training_on: dt.date | None,
) -> None:
    """Each code of conduct accepted and the system training confirmed, as the
    person's own word: the acknowledgements and the training record are theirs."""
    for version in versions:
        policies.acknowledge(version=version, user=user)
    if system_training_on is not None:
        training_record(
            staff=user,
            by=user,
            kind=TrainingKind.SYSTEM,
            completed_on=system_training_on,
            delivery=Delivery.INTERNAL,
        )
    audit.record(
        action="compliance.induction_confirmed",
        actor=user,
        obj=user,
        details={
            "code_of_conduct": [f"{v.policy.title} ({v.label})" for v in versions],
            "system_training_on": system_training_on.isoformat() if system_training_on else "",
        },
    )
