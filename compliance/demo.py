"""Demo data: every member of the demo staff has done what opening a child's
record needs (compliance.induction), so the demo opens children's records."""

import datetime as dt

from django.utils import timezone

from accounts.models import Organisation, User
from compliance.induction import induction_complete, system_training_current
from policies import reach


def seed_induction(organisation: Organisation) -> None:
    """Accept whatever code of conduct for staff is current and confirm the system
    training, for each active member of staff still owing either; safe to re-run."""
    trained_on = timezone.localdate() - dt.timedelta(days=30)
    for user in User.objects.filter(organisation=organisation, is_active=True).order_by("pk"):
        versions = [binding.current for binding in reach.conduct_unread(user)]
        training_due = not system_training_current(user)
        if versions or training_due:
            induction_complete(
                user=user,
                versions=versions,
                system_training_on=trained_on if training_due else None,
            )
