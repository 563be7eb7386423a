"""The gate before a child's record: what a member of staff must have done first.

children.permissions.get_child_for_user asks ``induction_due`` and raises
``InductionRequired``; the middleware turns that into the page where they do it.
What counts is contributed by the apps that own it (the code of conduct, the
system training) through common.registry.INDUCTION, since they sit above children.
"""

from django.core.exceptions import PermissionDenied

from accounts.models import User
from common.registry import INDUCTION


class InductionRequired(PermissionDenied):
    """The person may see this child but has not yet accepted the code of conduct
    or confirmed their training in using Safeguard."""


def induction_due(user: User) -> bool:
    return any(outstanding(user) for outstanding in INDUCTION.items())
