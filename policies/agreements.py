"""Children's acceptable-use agreements: recording that a child agreed, and what
each child has agreed to.

A child agrees to the current version of the agreement written for their age,
either with a parent or carer on the parent's own link or in a session with a
member of staff as witness. Agreeing to any version since the last substantive
change counts (policies.reach), so an editorial change asks nobody again.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from audit import services as audit
from children.models import Child, ChildGuardian, Guardian
from policies import reach
from policies.models import (
    AgreementWay,
    ChildAgreement,
    Policy,
    PolicyVersion,
    VersionStatus,
)


def ages(policy: Policy) -> str:
    """The ages an agreement is written for, in words."""
    start, end = policy.children_age_from, policy.children_age_to
    if start is not None and end is not None:
        return f"aged {start} to {end}"
    if start is not None:
        return f"aged {start} and over"
    if end is not None:
        return f"aged up to {end}"
    return "of any age"


@dataclass(frozen=True)
class AgreementState:
    """One agreement written for a child's age, and the child's agreement to it
    (None while they have not agreed to a version that still counts)."""

    binding: reach.Binding
    agreement: ChildAgreement | None

    @property
    def policy(self) -> Policy:
        return self.binding.policy

    @property
    def current(self) -> PolicyVersion:
        return self.binding.current

    @property
    def written_for(self) -> str:
        return ages(self.binding.policy)


def child_agreement_states(child: Child, today: dt.date | None = None) -> list[AgreementState]:
    """Each agreement written for the child's age today, agreed or not."""
    today = today or timezone.localdate()
    found = reach.for_age(reach.child_bindings(child.organisation_id), reach.age_on(child, today))
    agreements: dict[int, ChildAgreement] = {}
    for agreement in ChildAgreement.objects.filter(
        child=child, version_id__in=[pk for binding in found for pk in binding.counts]
    ).select_related("version", "guardian", "witnessed_by"):
        # Newest first (the model's order): the latest agreement is the one shown.
        agreements.setdefault(agreement.version.policy_id, agreement)
    return [AgreementState(binding, agreements.get(binding.policy.pk)) for binding in found]


def _refuse_unless_current_for(version: PolicyVersion, child: Child, today: dt.date) -> None:
    policy = version.policy
    if policy.organisation_id != child.organisation_id or not policy.audience_children:
        raise ValidationError("This is not one of the organisation's agreements for children.")
    if version.status != VersionStatus.APPROVED:
        raise ValidationError("Only an approved version can be agreed to.")
    (binding,) = reach.bindings([policy])
    if binding.current.pk != version.pk:
        raise ValidationError(
            f"{policy.title} has changed: {binding.current.label} is the current version. "
            "Read the new version with the child."
        )
    age = reach.age_on(child, today)
    if not reach.for_age([binding], age):
        raise ValidationError(
            f"{policy.title} is written for children {ages(policy)}; "
            f"{child.first_name} is {age}. Use the agreement written for their age."
        )
    if not child.is_active_on(today):
        raise ValidationError(f"{child.first_name} has been discharged: no agreement is needed.")


@transaction.atomic
def child_agreement_record(
    *,
    version: PolicyVersion,
    child: Child,
    way: str,
    child_name: str,
    guardian: Guardian | None = None,
    witnessed_by: User | None = None,
) -> ChildAgreement:
    """Record that a child agreed to this version of their acceptable-use agreement.

    With a parent (``guardian``, who has parental responsibility for the child)
    or in a session (``witnessed_by``, a member of staff of the child's
    organisation). Recording again what the child has already agreed to returns
    the agreement already recorded.
    """
    if way == AgreementWay.IN_SESSION:
        if witnessed_by is None or guardian is not None:
            raise ValueError("an agreement in a session has a witness and no guardian")
        if witnessed_by.organisation_id != child.organisation_id:
            raise ValidationError("Only a member of the child's organisation can witness this.")
    elif way == AgreementWay.WITH_PARENT:
        if guardian is None or witnessed_by is not None:
            raise ValueError("an agreement with a parent has a guardian and no witness")
    else:
        raise ValueError(f"unknown way {way!r}")
    # The child's row, locked: a double tap (or a parent and a therapist at the
    # same moment) waits here, then finds the agreement already recorded.
    child = Child.objects.select_for_update(no_key=True).get(pk=child.pk)
    if (
        guardian is not None
        and not ChildGuardian.objects.filter(
            child=child, guardian=guardian, parental_responsibility=True
        ).exists()
    ):
        raise ValidationError("Only a parent or carer with parental responsibility can do this.")
    version = PolicyVersion.objects.select_related("policy").get(pk=version.pk)
    already = (
        ChildAgreement.objects.filter(child=child, version_id__in=reach.reading_counts(version))
        .order_by("-agreed_at", "-pk")
        .first()
    )
    if already is not None:
        return already
    _refuse_unless_current_for(version, child, timezone.localdate())
    child_name = " ".join(child_name.split())
    if not child_name:
        raise ValidationError({"child_name": "Type the child's name as they would write it."})
    agreement = ChildAgreement.objects.create(
        version=version,
        child=child,
        way=way,
        guardian=guardian,
        witnessed_by=witnessed_by,
        child_name=child_name,
    )
    audit.record(
        action="policy.child_agreed",
        actor=witnessed_by,
        actor_label=f"guardian:{guardian.pk}" if guardian is not None else None,
        organisation=child.organisation,
        obj=child,
        details={
            "policy": version.policy_id,
            "version": version.label,
            "sha256": version.content_sha256,
            "way": way,
        },
    )
    return agreement


def seed_child_agreements(organisation: Organisation, witness: User) -> ChildAgreement | None:
    """One demo child agrees in a session with the witness; the others stay
    outstanding, so the list of who is yet to agree has something to show."""
    today = timezone.localdate()
    if ChildAgreement.objects.filter(child__organisation=organisation).exists():
        return None
    outstanding = reach.children_outstanding(organisation, today)
    caseload = set(Child.objects.allocated(witness.pk).values_list("pk", flat=True))
    # A child on the witness's caseload first: the one they would see in a session.
    outstanding.sort(key=lambda row: row[0].pk not in caseload)
    if not outstanding:
        return None
    child, due = outstanding[0]
    return child_agreement_record(
        version=due[0].current,
        child=child,
        way=AgreementWay.IN_SESSION,
        child_name=child.preferred_name or child.first_name,
        witnessed_by=witness,
    )
