"""Who is safeguarded: children, the adults with parental responsibility for
them, and which members of staff each child is allocated to."""

import datetime as dt

from django.db import models
from django.utils import timezone as django_timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from common.validators import validate_person_name


def active_on(day: dt.date) -> models.Q:
    """Children still being seen on ``day``: not discharged, or discharged later."""
    return models.Q(discharged_on__isnull=True) | models.Q(discharged_on__gt=day)


class ChildQuerySet(models.QuerySet["Child"]):
    def active(self, day: dt.date) -> "ChildQuerySet":
        return self.filter(active_on(day))

    def discharged(self, day: dt.date) -> "ChildQuerySet":
        return self.exclude(active_on(day))

    def _open_allocation(self, staff_id: int | None) -> models.Exists:
        allocations = Allocation.objects.filter(child=models.OuterRef("pk"), ends_on__isnull=True)
        if staff_id is not None:
            allocations = allocations.filter(staff_id=staff_id)
        return models.Exists(allocations)

    def allocated(self, staff_id: int | None = None) -> "ChildQuerySet":
        """On someone's caseload now (on this member of staff's, if given)."""
        return self.filter(self._open_allocation(staff_id))

    def unallocated(self) -> "ChildQuerySet":
        """On nobody's caseload now, including children never allocated."""
        return self.exclude(self._open_allocation(None))


class Child(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="children"
    )
    first_name = models.CharField(max_length=100, validators=[validate_person_name])
    last_name = models.CharField(max_length=100, validators=[validate_person_name])
    preferred_name = models.CharField(max_length=100, blank=True, validators=[validate_person_name])
    date_of_birth = models.DateField()
    active_from = models.DateField(default=dt.date.today)
    discharged_on = models.DateField(null=True, blank=True)
    communication_needs = models.TextField(
        blank=True,
        help_text="For example: prefers typed chat to speaking; uses a communication "
        "board; needs extra time to answer.",
    )
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    history = HistoricalRecords(table_name="safeguard_historicalchild")

    objects = ChildQuerySet.as_manager()

    class Meta:
        db_table = "safeguard_child"
        ordering = ["last_name", "first_name", "pk"]
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["organisation", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    def is_active_on(self, day: dt.date) -> bool:
        """The same rule as active_on(), for one child already loaded."""
        return self.discharged_on is None or self.discharged_on > day

    @property
    def is_active(self) -> bool:
        return self.is_active_on(django_timezone.localdate())


class ContactPreference(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"


class Guardian(models.Model):
    """A parent or carer. One guardian may be linked to several children and a
    child to several guardians: separated parents are the normal case."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="guardians"
    )
    full_name = models.CharField(max_length=200, validators=[validate_person_name])
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=ContactPreference.choices, default=ContactPreference.EMAIL
    )
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    history = HistoricalRecords(table_name="safeguard_historicalguardian")

    class Meta:
        db_table = "safeguard_guardian"
        ordering = ["full_name", "pk"]

    def __str__(self) -> str:
        return self.full_name


class ChildGuardian(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="child_links")
    relationship = models.CharField(max_length=60, help_text="For example: mother, foster carer.")
    parental_responsibility = models.BooleanField(
        default=False,
        help_text="Only someone with parental responsibility can give consent.",
    )
    history = HistoricalRecords(table_name="safeguard_historicalchildguardian")

    class Meta:
        db_table = "safeguard_childguardian"
        ordering = ["-parental_responsibility", "guardian__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["child", "guardian"], name="guardian_once_per_child")
        ]

    def __str__(self) -> str:
        return f"{self.guardian} ({self.relationship}) of {self.child}"


class Allocation(models.Model):
    """A child on a member of staff's caseload, from a start date until ended.

    Only children.services creates and ends allocations: it grants and
    revokes the object permission that lets the member of staff see the child.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="allocations")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="allocations")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(table_name="safeguard_historicalallocation")

    class Meta:
        db_table = "safeguard_allocation"
        ordering = ["-starts_on", "pk"]
        constraints = [
            # One open allocation per child and member of staff.
            models.UniqueConstraint(
                fields=["child", "staff"],
                condition=models.Q(ends_on__isnull=True),
                name="one_open_allocation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child} with {self.staff}"


# django-guardian's direct foreign-key permission tables for children: faster
# and with real foreign keys, unlike its generic tables.
class ChildUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Child, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "safeguard_childuserobjectpermission"


class ChildGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Child, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "safeguard_childgroupobjectpermission"


class FlagKind(models.TextChoices):
    CHILD_PROTECTION_PLAN = "cp_plan", "Child protection plan"
    CHILD_IN_NEED = "child_in_need", "Child in need"
    LOOKED_AFTER = "looked_after", "Looked after child"
    SEND = "send", "SEND"


class ChildFlagQuerySet(models.QuerySet["ChildFlag"]):
    def current(self) -> "ChildFlagQuerySet":
        return self.filter(ended_on__isnull=True)


class ChildFlag(models.Model):
    """A status a lead records on a child (a plan, looked after, SEND), from
    when it started until it ends. Only children.services writes them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=django_timezone.now, editable=False)
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    objects = ChildFlagQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            # One current flag of a kind per child (children.services says so first).
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=models.Q(ended_on__isnull=True),
                name="one_current_flag_of_a_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="flag_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.child_id}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None
