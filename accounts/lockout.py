"""django-axes with a limit for each thing it counts.

Axes counts failed sign-ins under each entry of AXES_LOCKOUT_PARAMETERS (here one
email from one address, and one address whatever the email) but compares every
count with the one AXES_FAILURE_LIMIT. One limit cannot serve both: five wrong
passwords lock one account from one address, but five typos by five colleagues
behind one office router must not lock the whole office out. So each count is
compared with its own limit, and the handler reports to axes the count that is
closest to its limit, in units of AXES_FAILURE_LIMIT: axes then locks out exactly
when any one count reaches its own limit.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest

# The lockout parameter that counts every email tried from one address.
ADDRESS = ["ip_address"]


def _limit(parameter: str | list[str], pair_limit: int) -> int:
    if parameter == ADDRESS or parameter == ADDRESS[0]:
        return int(settings.SIGN_IN_ADDRESS_FAILURE_LIMIT)
    return pair_limit


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class SignInLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a higher limit for an address than for an account."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        pair_limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        # floor(failures * pair_limit / limit) reaches pair_limit exactly when
        # failures reaches limit, so axes' one comparison is each count's own.
        return max(
            (
                _failures(found) * pair_limit // _limit(parameter, pair_limit)
                for parameter, found in zip(parameters, attempts, strict=True)
            ),
            default=0,
        )

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """A successful sign-in forgives that person's own mistakes from that address,
        not every email tried from it: otherwise someone spraying passwords across
        accounts could clear the address's count by signing in to their own."""
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.filter_user_attempts(request, credentials)
        count = 0
        for parameter, found in zip(parameters, attempts, strict=True):
            if parameter != ADDRESS and parameter != ADDRESS[0]:
                deleted, _ = found.delete()
                count += deleted
        return count
