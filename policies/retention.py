"""Superseded policy versions are kept six years from when a newer version
replaced them (see records.retention). They hold no one's personal details,
so a reviewer keeps or deletes them; nothing to anonymise."""

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError

from accounts.models import Organisation
from common.registry import RECORD_KINDS
from policies.models import PolicyVersion, VersionStatus
from records.retention import Due, RecordKind, object_locator


def _superseded_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    approved = (
        PolicyVersion.objects.filter(
            policy__organisation=organisation,
            status=VersionStatus.APPROVED,
            approved_on__isnull=False,
        )
        .select_related("policy")
        .order_by("policy_id", "approved_on", "pk")
    )
    previous: PolicyVersion | None = None
    for version in approved:
        if (
            previous is not None
            and previous.policy_id == version.policy_id
            and version.approved_on is not None  # the query excludes None
        ):
            due_on = version.approved_on + relativedelta(months=months)
            if due_on <= today:
                yield Due(
                    obj=previous,
                    due_on=due_on,
                    description=f"{previous.policy.title} {previous.label}, replaced on "
                    f"{version.approved_on:%-d %b %Y}",
                )
        previous = version


def _delete(version: PolicyVersion) -> str:
    what = f"{version.policy.title} {version.label}"
    try:
        version.acknowledgements.all().delete()
        version.delete()
    except ProtectedError as error:
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise ValidationError(
            f"{what} cannot be deleted: records still refer to it ({', '.join(kinds)}). Keep it."
        ) from None
    return f"{what} and its acknowledgements"


POLICY_VERSIONS = RecordKind(
    code="policy_versions",
    label="Superseded policy versions",
    basis="An old version shows what staff and parents were told at the time; it is kept for "
    "six years after a newer version replaced it.",
    period="from when a newer version replaced it",
    default_months=72,
    safeguarding=False,
    due=_superseded_due,
    delete=_delete,
    locate=object_locator(PolicyVersion),
)


RECORD_KINDS.register(POLICY_VERSIONS)
