"""Children, guardians and allocations: every write, its audit event and, for
allocations, the object permission that lets a member of staff see a child.

Allocation is the only way a member of staff sees a child, so granting and
revoking that permission happens here and nowhere else.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Organisation, User
from audit import services as audit
from children.models import Allocation, Child, ChildFlag, ChildGuardian, Guardian

VIEW_CHILD = "children.view_child"


def _changes(instance: object, data: dict[str, object]) -> dict[str, list[object]]:
    """Which fields change, as {field: [before, after]}, for the audit event.

    Names only for free-text fields: the audit log proves who changed what and
    when; the field history (django-simple-history) keeps the values themselves.
    """
    changed: dict[str, list[object]] = {}
    for name, value in data.items():
        before = getattr(instance, name)
        if before != value:
            changed[name] = (
                [str(before), str(value)]
                if isinstance(value, dt.date | bool) or name == "relationship"
                else []
            )
    return changed


@transaction.atomic
def child_create(*, organisation: Organisation, by: User, **fields: object) -> Child:
    child = Child(organisation=organisation, **fields)
    child._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    child.full_clean()
    child.save()
    audit.record(action="child.created", actor=by, obj=child)
    return child


@transaction.atomic
def child_update(*, child: Child, by: User, **fields: object) -> Child:
    changed = _changes(child, fields)
    if not changed:
        return child
    for name, value in fields.items():
        setattr(child, name, value)
    child._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    child.full_clean()
    child.save()
    audit.record(action="child.changed", actor=by, obj=child, details={"fields": changed})
    return child


@transaction.atomic
def guardian_add(
    *,
    child: Child,
    by: User,
    full_name: str,
    email: str,
    phone: str,
    preferred_contact: str,
    relationship: str,
    parental_responsibility: bool,
) -> ChildGuardian:
    """Link a guardian to a child; someone already known by email is linked, not
    duplicated (a parent of two siblings is one guardian)."""
    guardian = None
    if email:
        guardian = Guardian.objects.filter(
            organisation=child.organisation, email__iexact=email
        ).first()
    if guardian is None:
        guardian = Guardian(
            organisation=child.organisation,
            full_name=full_name,
            email=email.lower(),
            phone=phone,
            preferred_contact=preferred_contact,
        )
        guardian._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
        guardian.full_clean()
        guardian.save()
        audit.record(action="guardian.created", actor=by, obj=guardian)
    if ChildGuardian.objects.filter(child=child, guardian=guardian).exists():
        raise ValidationError({"email": f"{guardian.full_name} is already linked to this child."})
    link = ChildGuardian(
        child=child,
        guardian=guardian,
        relationship=relationship,
        parental_responsibility=parental_responsibility,
    )
    link._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        # The same link added at the same moment from another browser.
        raise ValidationError(
            {"email": f"{guardian.full_name} is already linked to this child."}
        ) from None
    audit.record(
        action="guardian.linked",
        actor=by,
        obj=child,
        details={
            "guardian": guardian.pk,
            "relationship": relationship,
            "parental_responsibility": parental_responsibility,
        },
    )
    return link


@transaction.atomic
def guardian_update(
    *,
    link: ChildGuardian,
    by: User,
    guardian_fields: dict[str, object],
    link_fields: dict[str, object],
) -> ChildGuardian:
    guardian = link.guardian
    guardian_changed = _changes(guardian, guardian_fields)
    link_changed = _changes(link, link_fields)
    if guardian_changed:
        for name, value in guardian_fields.items():
            setattr(guardian, name, value)
        guardian._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
        guardian.full_clean()
        guardian.save()
        audit.record(
            action="guardian.changed",
            actor=by,
            obj=guardian,
            details={"fields": guardian_changed},
        )
    if link_changed:
        for name, value in link_fields.items():
            setattr(link, name, value)
        link._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
        link.save()
        audit.record(
            action="guardian.link_changed",
            actor=by,
            obj=link.child,
            details={"guardian": guardian.pk, "fields": link_changed},
        )
    return link


@transaction.atomic
def allocation_start(
    *,
    child: Child,
    staff: User,
    starts_on: dt.date,
    by: User,
) -> Allocation:
    """Put a child on a member of staff's caseload, and let them see the child."""
    if staff.organisation_id != child.organisation_id or not staff.is_active:
        raise ValidationError({"staff": "Choose an active member of staff of this organisation."})
    if starts_on > timezone.localdate():
        raise ValidationError({"starts_on": "The start date cannot be in the future."})
    # Lock the child so two admins allocating at once cannot both pass the check.
    Child.objects.select_for_update(no_key=True).filter(pk=child.pk).first()
    if Allocation.objects.filter(child=child, staff=staff, ends_on__isnull=True).exists():
        raise ValidationError({"staff": f"{child} is already allocated to {staff.full_name}."})
    allocation = Allocation.objects.create(
        organisation=child.organisation,
        child=child,
        staff=staff,
        starts_on=starts_on,
        created_by=by,
    )
    assign_perm(VIEW_CHILD, staff, child)
    audit.record(
        action="allocation.started",
        actor=by,
        obj=child,
        details={"staff": staff.pk, "starts_on": starts_on.isoformat()},
    )
    return allocation


@transaction.atomic
def allocation_end(*, allocation: Allocation, by: User) -> Allocation:
    """Take a child off a caseload; the member of staff loses sight of the child at once."""
    allocation = Allocation.objects.select_for_update(no_key=True).get(pk=allocation.pk)
    if allocation.ends_on is not None:
        raise ValidationError("This allocation has already ended.")
    allocation.ends_on = timezone.localdate()
    allocation.ended_by = by
    allocation.save(update_fields=["ends_on", "ended_by"])
    remove_perm(VIEW_CHILD, allocation.staff, allocation.child)
    audit.record(
        action="allocation.ended",
        actor=by,
        obj=allocation.child,
        details={"staff": allocation.staff_id},
    )
    return allocation


def guardians_with_responsibility(child: Child) -> QuerySet[Guardian]:
    """The child's guardians who may give consent: those with parental responsibility."""
    return Guardian.objects.filter(
        child_links__child=child, child_links__parental_responsibility=True
    )


def allocated_staff(child: Child) -> list[User]:
    """Active members of staff with the child on their caseload now."""
    return list(
        User.objects.filter(
            allocations__child=child, allocations__ends_on__isnull=True, is_active=True
        ).distinct()
    )


def guardians_with_responsibility_of(child_ids: Iterable[int]) -> dict[int, set[int]]:
    """guardians_with_responsibility's guardian ids for many children, in one query."""
    found: dict[int, set[int]] = {}
    for child_id, guardian_id in ChildGuardian.objects.filter(
        child_id__in=list(child_ids), parental_responsibility=True
    ).values_list("child_id", "guardian_id"):
        found.setdefault(child_id, set()).add(guardian_id)
    return found


def allocated_staff_of(child_ids: Iterable[int]) -> dict[int, list[User]]:
    """allocated_staff for many children, in one query."""
    found: dict[int, dict[int, User]] = {}
    allocations = Allocation.objects.filter(
        child_id__in=list(child_ids), ends_on__isnull=True, staff__is_active=True
    ).select_related("staff")
    for allocation in allocations.order_by("pk"):
        found.setdefault(allocation.child_id, {})[allocation.staff_id] = allocation.staff
    return {child_id: list(staff.values()) for child_id, staff in found.items()}


@transaction.atomic
def child_flag_add(
    *, child: Child, by: User, kind: str, started_on: dt.date, note: str = ""
) -> ChildFlag:
    """Record that a child is on a plan, looked after or has SEND, from ``started_on``."""
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": "The start date cannot be in the future."})
    # Lock the child so two leads adding the same flag at once cannot both pass the check.
    Child.objects.select_for_update(no_key=True).filter(pk=child.pk).first()
    flag = ChildFlag(
        organisation_id=child.organisation_id,
        child=child,
        kind=kind,
        started_on=started_on,
        note=note,
        recorded_by=by,
    )
    if ChildFlag.objects.current().filter(child=child, kind=kind).exists():
        raise ValidationError(
            {"kind": f"{child} already has a current {flag.get_kind_display()} flag: end it first."}
        )
    flag._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    flag.full_clean(exclude=["child", "organisation", "recorded_by"])
    flag.save()
    audit.record(
        action="child_flag.added",
        actor=by,
        obj=child,
        details={"flag": flag.pk, "kind": kind, "started_on": started_on.isoformat()},
    )
    return flag


@transaction.atomic
def child_flag_end(*, flag: ChildFlag, by: User, ended_on: dt.date) -> ChildFlag:
    """End a current flag on ``ended_on``; the flag and its dates stay in the history."""
    flag = ChildFlag.objects.select_for_update(no_key=True).select_related("child").get(pk=flag.pk)
    if flag.ended_on is not None:
        raise ValidationError({"ended_on": "This flag has already ended."})
    if ended_on < flag.started_on:
        raise ValidationError(
            {"ended_on": f"The end date cannot be before it started ({flag.started_on:%-d %B %Y})."}
        )
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": "The end date cannot be in the future."})
    flag.ended_on = ended_on
    flag.ended_by = by
    flag._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    flag.save(update_fields=["ended_on", "ended_by"])
    audit.record(
        action="child_flag.ended",
        actor=by,
        obj=flag.child,
        details={"flag": flag.pk, "kind": flag.kind, "ended_on": ended_on.isoformat()},
    )
    return flag
