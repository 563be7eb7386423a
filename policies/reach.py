"""Who a policy binds, and who has read (or agreed to) what binds them now.

A policy binds staff by role, parents and carers when it is parent-facing, and
children when it is an acceptable-use agreement. Reading any version since the
last substantive change counts: an editorial change (a typo, a new phone
number) keeps what people acknowledged, a substantive one asks everyone again.
Each question here is answered in a fixed number of queries.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child, ChildGuardian, Guardian
from policies.models import (
    Acknowledgement,
    ChangeKind,
    ChildAgreement,
    Policy,
    PolicyCategory,
    PolicyVersion,
    VersionStatus,
)


@dataclass(frozen=True)
class Binding:
    """A policy's current version, and the versions whose reading still counts:
    everything approved since (and including) the last substantive one."""

    policy: Policy
    current: PolicyVersion
    counts: tuple[int, ...]  # version ids, the current one included


def _bindings(policies: Iterable[Policy]) -> list[Binding]:
    """Each policy's current version and the versions that count, from one query."""
    policies = list(policies)
    approved: dict[int, list[PolicyVersion]] = {policy.pk: [] for policy in policies}
    # Every approved version is read for its place in the history, never its text:
    # the body (up to a long policy's worth) is loaded only where a page shows it.
    for version in (
        PolicyVersion.objects.filter(policy__in=policies, status=VersionStatus.APPROVED)
        .defer("body")
        .order_by("pk")
    ):
        approved[version.policy_id].append(version)
    return _bound(policies, approved)


def _bound(policies: list[Policy], approved: dict[int, list[PolicyVersion]]) -> list[Binding]:
    """The bindings of these policies, given each one's approved versions in pk order."""
    bindings = []
    for policy in policies:
        versions = approved[policy.pk]
        if not versions:
            continue
        # Approval order is the pk order (policies.services.policy_state says why).
        counts = [versions[-1]]
        for version in reversed(versions[:-1]):
            if counts[-1].change_kind != ChangeKind.EDITORIAL:
                break
            counts.append(version)
        bindings.append(
            Binding(policy, versions[-1], tuple(sorted(version.pk for version in counts)))
        )
    return bindings


def bindings(policies: Iterable[Policy]) -> list[Binding]:
    return _bindings(policies)


def reading_counts(version: PolicyVersion) -> tuple[int, ...]:
    """The versions of this version's policy whose reading counts while it is current."""
    found = _bindings([version.policy])
    return found[0].counts if found else (version.pk,)


# --- staff --------------------------------------------------------------------------------


def staff_bindings(organisation: Organisation) -> list[Binding]:
    return _bindings(Policy.objects.filter(organisation=organisation).exclude(audience_roles=[]))


def staff_bindings_loaded(policies: Iterable[Policy]) -> list[Binding]:
    """staff_bindings for the whole organisation's policies already loaded with
    their versions (policies.services.history_prefetch): no query of its own."""
    staff_policies = [policy for policy in policies if policy.audience_roles]
    return _bound(
        staff_policies,
        {
            policy.pk: sorted(
                (v for v in policy.versions.all() if v.status == VersionStatus.APPROVED),
                key=lambda version: version.pk,
            )
            for policy in staff_policies
        },
    )


def staff_unread(user: User, found: list[Binding] | None = None) -> list[Binding]:
    """The policies for this person's role whose current version they have not read."""
    found = staff_bindings(user.organisation) if found is None else found
    mine = [binding for binding in found if user.role in binding.policy.audience_roles]
    read = set(
        Acknowledgement.objects.filter(
            user=user, version_id__in=[pk for binding in mine for pk in binding.counts]
        ).values_list("version_id", flat=True)
    )
    return [binding for binding in mine if not read.intersection(binding.counts)]


def conduct_unread(user: User) -> list[Binding]:
    """The staff code of conduct versions this person must accept before opening a
    child's record: every current code of conduct for staff, whatever its audience."""
    found = _bindings(
        Policy.objects.filter(
            organisation_id=user.organisation_id, category=PolicyCategory.CONDUCT_STAFF
        )
    )
    read = set(
        Acknowledgement.objects.filter(
            user=user, version_id__in=[pk for binding in found for pk in binding.counts]
        ).values_list("version_id", flat=True)
    )
    return [binding for binding in found if not read.intersection(binding.counts)]


# --- parents and carers -------------------------------------------------------------------


def parent_bindings(organisation: Organisation | int) -> list[Binding]:
    """The parent-facing policies: each current version is acknowledged with
    every consent request and on the parent's own link."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return _bindings(Policy.objects.filter(organisation_id=organisation_id, audience_parents=True))


def guardian_unread(guardian: Guardian, found: list[Binding] | None = None) -> list[Binding]:
    found = parent_bindings(guardian.organisation_id) if found is None else found
    read = set(
        Acknowledgement.objects.filter(
            guardian=guardian, version_id__in=[pk for binding in found for pk in binding.counts]
        ).values_list("version_id", flat=True)
    )
    return [binding for binding in found if not read.intersection(binding.counts)]


@dataclass(frozen=True)
class GuardianOutstanding:
    guardian: Guardian
    children: tuple[Child, ...]
    unread: tuple[Binding, ...]


def guardians_outstanding(organisation: Organisation) -> list[GuardianOutstanding]:
    """Every parent or carer with parental responsibility for a current child who
    has not acknowledged a parent-facing policy's current version."""
    found = parent_bindings(organisation)
    if not found:
        return []
    links = (
        ChildGuardian.objects.filter(
            child__organisation=organisation,
            parental_responsibility=True,
            child__in=Child.objects.filter(organisation=organisation).active(timezone.localdate()),
        )
        .select_related("guardian", "child")
        .order_by("guardian__full_name", "guardian_id", "child__last_name")
    )
    children: dict[int, list[Child]] = {}
    guardians: dict[int, Guardian] = {}
    for link in links:
        guardians[link.guardian_id] = link.guardian
        children.setdefault(link.guardian_id, []).append(link.child)
    read: dict[int, set[int]] = {}
    for guardian_id, version_id in Acknowledgement.objects.filter(
        guardian_id__in=guardians, version_id__in=[pk for b in found for pk in b.counts]
    ).values_list("guardian_id", "version_id"):
        read.setdefault(guardian_id, set()).add(version_id)
    result = []
    for guardian_id, guardian in guardians.items():
        unread = tuple(b for b in found if not read.get(guardian_id, set()).intersection(b.counts))
        if unread:
            result.append(GuardianOutstanding(guardian, tuple(children[guardian_id]), unread))
    return result


def parents_not_agreed(child: Child) -> list[tuple[Guardian, list[Binding]]]:
    """For a child, each parent or carer with parental responsibility who has not
    agreed to every parent-facing policy: a session is not planned until they have.
    Empty when the organisation has no parent-facing policy."""
    found = parent_bindings(child.organisation_id)
    if not found:
        return []
    guardians = list(
        Guardian.objects.filter(
            child_links__child=child, child_links__parental_responsibility=True
        ).order_by("full_name", "pk")
    )
    read: dict[int, set[int]] = {}
    for guardian_id, version_id in Acknowledgement.objects.filter(
        guardian__in=guardians, version_id__in=[pk for b in found for pk in b.counts]
    ).values_list("guardian_id", "version_id"):
        read.setdefault(guardian_id, set()).add(version_id)
    result = []
    for guardian in guardians:
        unread = [b for b in found if not read.get(guardian.pk, set()).intersection(b.counts)]
        if unread:
            result.append((guardian, unread))
    return result


# --- children ----------------------------------------------------------------------------


def age_on(child: Child, day: dt.date) -> int:
    born = child.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def child_bindings(organisation: Organisation | int) -> list[Binding]:
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return _bindings(Policy.objects.filter(organisation_id=organisation_id, audience_children=True))


def for_age(found: list[Binding], age: int) -> list[Binding]:
    """The agreements written for a child of this age."""
    return [
        binding
        for binding in found
        if (binding.policy.children_age_from is None or binding.policy.children_age_from <= age)
        and (binding.policy.children_age_to is None or age <= binding.policy.children_age_to)
    ]


def child_agreements_due(child: Child, today: dt.date | None = None) -> list[Binding]:
    """The acceptable-use agreements for this child's age they have not agreed to."""
    today = today or timezone.localdate()
    found = for_age(child_bindings(child.organisation_id), age_on(child, today))
    agreed = set(
        ChildAgreement.objects.filter(
            child=child, version_id__in=[pk for b in found for pk in b.counts]
        ).values_list("version_id", flat=True)
    )
    return [binding for binding in found if not agreed.intersection(binding.counts)]


def children_outstanding(
    organisation: Organisation, today: dt.date | None = None
) -> list[tuple[Child, list[Binding]]]:
    """Current children who have not agreed to the agreement for their age."""
    today = today or timezone.localdate()
    found = child_bindings(organisation)
    if not found:
        return []
    children = list(
        Child.objects.filter(organisation=organisation).active(today).order_by("last_name", "pk")
    )
    agreed: dict[int, set[int]] = {}
    for child_id, version_id in ChildAgreement.objects.filter(
        child__in=children, version_id__in=[pk for b in found for pk in b.counts]
    ).values_list("child_id", "version_id"):
        agreed.setdefault(child_id, set()).add(version_id)
    result = []
    for child in children:
        due = [
            b
            for b in for_age(found, age_on(child, today))
            if not agreed.get(child.pk, set()).intersection(b.counts)
        ]
        if due:
            result.append((child, due))
    return result
