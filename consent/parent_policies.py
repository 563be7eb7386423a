"""The parent-facing policies on a parent's own pages: read and agreed to with a
consent request or on the manage link, and emailed about when they change.

policies.reach says who has read what; this module records a parent's reading
and tells parents when there is something new to read. Policies sit below
consent, so an approval reaches here through common.registry.POLICY_PUBLISHED.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit import services as audit
from children.models import Child, ChildGuardian, Guardian
from consent.models import (
    ConsentRecord,
    ConsentRequest,
    ConsentTypeVersion,
    GuardianAccess,
    RequestStatus,
)
from outbox.services import email_queue
from policies import reach
from policies.models import Acknowledgement, ChangeKind, PolicyVersion, VersionStatus

POLICY_CHANGED_KIND = "consent.policy_changed"


def versions_to_confirm(
    consent_request: ConsentRequest, items: Iterable[ConsentTypeVersion]
) -> list[PolicyVersion]:
    """What a parent confirms reading when signing: the current version of every
    parent-facing policy as it stands now (a request sent before a new version
    was approved asks for the new one: agreeing to the old would leave the
    parent still outstanding), and each policy a consent's wording rests on,
    each version once, in title order."""
    found = {
        binding.current.pk: binding.current
        for binding in reach.parent_bindings(consent_request.organisation_id)
    }
    for item in items:
        if item.policy_version is not None:
            found.setdefault(item.policy_version.pk, item.policy_version)
    return sorted(found.values(), key=lambda v: (v.policy.title.lower(), v.pk))


def policies_of_receipt(records: list[ConsentRecord]) -> list[PolicyVersion]:
    """The policies a signed receipt names: those its request was signed with
    (consent_sign keeps them on the request), found from the records alone."""
    first = records[0]
    signed = ConsentRequest.objects.filter(
        child_id=first.child_id,
        guardian_id=first.guardian_id,
        status=RequestStatus.SIGNED,
        signed_at=first.recorded_at,
    ).first()
    if signed is None:
        return []
    versions = signed.policy_versions.select_related("policy")
    return sorted(versions, key=lambda v: (v.policy.title.lower(), v.pk))


def acknowledge_on_signing(
    *, guardian: Guardian, versions: list[PolicyVersion], request_pk: int
) -> None:
    """Inside consent_sign's transaction: the confirmations ticked on the form."""
    created = []
    for version in versions:
        _, made = Acknowledgement.objects.get_or_create(version=version, guardian=guardian)
        if made:
            created.append(version)
    for version in created:
        audit.record(
            action="policy.acknowledged",
            organisation=version.policy.organisation,
            actor_label=f"guardian:{guardian.pk}",
            obj=version.policy,
            details={
                "version": version.label,
                "sha256": version.content_sha256,
                "guardian": guardian.pk,
                "consent_request": request_pk,
            },
        )


def current_for_guardian(guardian: Guardian, version_pk: int) -> reach.Binding | None:
    """The binding whose current version this is, among the guardian's own
    organisation's parent-facing policies; None for anything else."""
    for binding in reach.parent_bindings(guardian.organisation_id):
        if binding.current.pk == version_pk:
            return binding
    return None


@transaction.atomic
def guardian_policy_acknowledge(
    *, access: GuardianAccess, version: PolicyVersion
) -> Acknowledgement:
    """A parent agreed, on their own link, to a parent-facing policy's current version."""
    guardian = access.guardian
    binding = current_for_guardian(guardian, version.pk)
    if binding is None or version.status != VersionStatus.APPROVED:
        raise ValidationError(gettext("This is not a policy for you to agree to now."))
    ack, created = Acknowledgement.objects.get_or_create(version=version, guardian=guardian)
    # Agreeing is a use of the link, as a withdrawal is: its idle clock starts again.
    GuardianAccess.objects.filter(pk=access.pk).update(last_used_at=timezone.now())
    if created:
        audit.record(
            action="policy.acknowledged",
            organisation=binding.policy.organisation,
            actor_label=f"guardian:{guardian.pk}",
            obj=binding.policy,
            details={
                "version": version.label,
                "sha256": version.content_sha256,
                "guardian": guardian.pk,
                "on": "manage link",
            },
        )
    return ack


# --- telling parents a policy changed ---------------------------------------------------------


def _asks_parents_again(version: PolicyVersion) -> bool:
    """A first version, or a substantive change: parents read it (again). An
    editorial one keeps what they agreed to, so it tells nobody."""
    if not version.policy.audience_parents or version.status != VersionStatus.APPROVED:
        return False
    if version.change_kind != ChangeKind.EDITORIAL:
        return True
    return not PolicyVersion.objects.filter(
        policy=version.policy, status=VersionStatus.APPROVED, pk__lt=version.pk
    ).exists()


def guardians_reached(version: PolicyVersion) -> list[Guardian]:
    """Everyone with parental responsibility for a current child of the policy's
    organisation, with an email address, who has not read this version yet."""
    organisation_id = version.policy.organisation_id
    current = Child.objects.filter(organisation_id=organisation_id).active(timezone.localdate())
    guardian_ids = (
        ChildGuardian.objects.filter(child__in=current, parental_responsibility=True)
        .exclude(guardian__email="")
        .values_list("guardian_id", flat=True)
    )
    counts = reach.reading_counts(version)
    already = Acknowledgement.objects.filter(version_id__in=counts, guardian_id__in=guardian_ids)
    return list(
        Guardian.objects.filter(pk__in=guardian_ids, organisation_id=organisation_id)
        .exclude(pk__in=already.values("guardian_id"))
        .order_by("full_name", "pk")
    )


@transaction.atomic
def policy_change_emails_queue(*, version: PolicyVersion) -> int:
    """Queue one email per parent or carer the version reaches. The email is
    written when it is sent (consent.emails), with a manage link made then."""
    if not _asks_parents_again(version):
        return 0
    guardians = guardians_reached(version)
    for guardian in guardians:
        email_queue(to=guardian.email, purpose=guardian, kind=POLICY_CHANGED_KIND)
    if guardians:
        audit.record(
            action="consent.policy_change_emailed",
            organisation=version.policy.organisation,
            obj=version.policy,
            details={"version": version.label, "guardians": [g.pk for g in guardians]},
        )
    return len(guardians)
