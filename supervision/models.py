"""Supervision: the DSL or a deputy meets each member of staff every few weeks,
talks through the children they work with, and agrees actions.

A session and what was said about each child are written once (AppendOnly, and
a trigger on PostgreSQL): a supervision note is evidence of what the
organisation knew and agreed on that day. What was said about a child also
goes on that child's chronology (supervision.selectors, incidents.timeline),
and on no other child's. Actions change as they are done, with their history
kept; so do the cadences.
"""

import datetime as dt
import zoneinfo

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, Role, User
from audit.seals import sealed
from children.models import Child
from common.models import AppendOnly, append_only

DEFAULT_EVERY_WEEKS = 6
# Who is supervised here: staff who work with children, and the deputies, whom
# the DSL supervises. The DSL's own supervision is arranged outside the
# organisation (by a manager or an external supervisor), so is not tracked here.
SUPERVISED_ROLES = frozenset({Role.STAFF, Role.DEPUTY_DSL})


WEEKS = [MinValueValidator(1), MaxValueValidator(52)]


class SupervisionSettings(models.Model):
    """How often the organisation supervises a member of staff unless it says
    otherwise for that person."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="supervision_settings"
    )
    default_every_weeks = models.PositiveSmallIntegerField(
        "weeks between supervision sessions", default=DEFAULT_EVERY_WEEKS, validators=WEEKS
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "supervision settings"

    def __str__(self) -> str:
        return f"supervision settings of {self.organisation_id}"


class SupervisionCadence(models.Model):
    """How often one member of staff is supervised, where it differs from the
    organisation's default (someone new, or working with more complex cases)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    staff = models.OneToOneField(User, on_delete=models.PROTECT, related_name="+")
    every_weeks = models.PositiveSmallIntegerField(
        "weeks between supervision sessions", validators=WEEKS
    )
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"every {self.every_weeks} weeks for {self.staff_id}"


@sealed
class SupervisionSession(AppendOnly):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    supervisee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField()
    notes = models.TextField("general notes", blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-held_on", "-recorded_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "supervisee", "held_on"])]
        triggers = append_only()

    def __str__(self) -> str:
        return f"supervision on {self.held_on:%-d %b %Y}"

    @property
    def held_at(self) -> dt.datetime:
        """Noon of the day it was held, in the organisation's timezone: a session
        has a date, not a time, and noon sorts it inside that day wherever it is read."""
        tz = zoneinfo.ZoneInfo(self.organisation.timezone)
        return dt.datetime.combine(self.held_on, dt.time(12), tzinfo=tz)


@sealed
class ChildDiscussed(AppendOnly):
    """What was said about one child in one session, and what was agreed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="children_discussed"
    )
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    discussed = models.TextField("what was discussed")
    agreed = models.TextField("what was agreed", blank=True)

    sealed_name = "Supervision notes about a child"

    class Meta:
        verbose_name = "child discussed in supervision"
        verbose_name_plural = "children discussed in supervision"
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "child"], name="supervision_child_once")
        ]
        triggers = append_only()

    def __str__(self) -> str:
        return f"child {self.child_id} in {self.session}"

    @property
    def timeline_text(self) -> str:
        return self.discussed + (f"\nAgreed: {self.agreed}" if self.agreed else "")


class SupervisionAction(models.Model):
    """Something agreed in supervision, owned by one person and reminded until done."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="actions"
    )
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=300)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.what

    @property
    def is_done(self) -> bool:
        return self.done_on is not None
