"""Staff compliance: recording DBS checks and training, what is due, and the
reminders that keep them from lapsing."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Role, User
from audit import services as audit
from common.registry import TRAINING_REQUIREMENTS
from compliance.models import DBSCheck, TrainingKind, TrainingRecord
from notices.engine import DueItem, local_midnight, stage_for


@transaction.atomic
def dbs_check_record(*, staff: User, by: User, **fields: object) -> DBSCheck:
    check = DBSCheck(organisation_id=staff.organisation_id, staff=staff, recorded_by=by, **fields)
    check.full_clean()
    check.save()
    audit.record(
        action="compliance.dbs_recorded",
        actor=by,
        obj=staff,
        details={"level": check.level, "issued_on": check.issued_on.isoformat()},
    )
    return check


@transaction.atomic
def training_record(*, staff: User, by: User, **fields: object) -> TrainingRecord:
    record = TrainingRecord(
        organisation_id=staff.organisation_id, staff=staff, recorded_by=by, **fields
    )
    record.full_clean()
    record.save()
    audit.record(
        action="compliance.training_recorded",
        actor=by,
        obj=staff,
        details={"kind": record.kind, "completed_on": record.completed_on.isoformat()},
    )
    return record


@dataclass(frozen=True)
class Due:
    """When something next falls due, or None when there is no record at all."""

    on: dt.date | None
    detail: str

    def status(self, today: dt.date) -> str:
        if self.on is None:
            return "missing"
        if self.on <= today:
            return "overdue"
        if self.on <= today + dt.timedelta(days=30):
            return "due soon"
        return "current"


@dataclass(frozen=True)
class StaffCompliance:
    member: User
    dbs: Due
    safeguarding: Due
    online_safety: Due
    # Training their role (or what they do) requires that is missing or overdue.
    gaps: tuple[str, ...] = ()
    # The required training beyond safeguarding and online safety: (kind, when due).
    other_training: tuple[tuple[str, Due], ...] = ()


# What each role must have done; apps add requirements that follow from what a
# person does (holding an online account: managing online presence).
ROLE_TRAINING: dict[str, set[str]] = {
    Role.STAFF: {
        TrainingKind.SAFEGUARDING,
        TrainingKind.ONLINE_SAFETY,
        TrainingKind.ONLINE_RISKS_THERAPY,
    },
    Role.DSL: {TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY, TrainingKind.DSL_UPDATE},
    Role.DEPUTY_DSL: {
        TrainingKind.SAFEGUARDING,
        TrainingKind.ONLINE_SAFETY,
        TrainingKind.DSL_UPDATE,
    },
    Role.DIRECTOR: {TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY},
    Role.ADMIN: {TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY},
}
BASE_TRAINING = {TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY}


def required_training(staff: Sequence[User]) -> dict[int, set[str]]:
    needed = {member.pk: set(ROLE_TRAINING.get(member.role, ())) for member in staff}
    # Other apps' requirements (from their training.py), each for everyone at once.
    for requirement in TRAINING_REQUIREMENTS.items():
        for user_id, kinds in requirement(staff).items():
            needed.setdefault(user_id, set()).update(kinds)
    return needed


def compliance_for(staff: Sequence[User], organisation: Organisation) -> list[StaffCompliance]:
    """Each person's latest DBS check and training, and what training they lack,
    in a fixed number of queries whatever the headcount."""
    ids = [member.pk for member in staff]
    latest_dbs: dict[int, DBSCheck] = {}
    for issued in DBSCheck.objects.filter(staff_id__in=ids).order_by("staff_id", "-issued_on"):
        latest_dbs.setdefault(issued.staff_id, issued)
    latest_training: dict[tuple[int, str], TrainingRecord] = {}
    for record in TrainingRecord.objects.filter(staff_id__in=ids).order_by(
        "staff_id", "kind", "-completed_on"
    ):
        latest_training.setdefault((record.staff_id, record.kind), record)

    def training(member: User, kind: str) -> Due:
        record = latest_training.get((member.pk, kind))
        if record is None:
            return Due(None, "none recorded")
        level = f"{record.level}, " if record.level else ""
        return Due(record.refresh_due, f"{level}completed {record.completed_on:%-d %b %Y}")

    needed = required_training(staff)
    today = timezone.localdate()
    labels = dict(TrainingKind.choices)

    def gaps(member: User) -> tuple[str, ...]:
        return tuple(
            sorted(
                labels[kind]
                for kind in needed.get(member.pk, ())
                if training(member, kind).status(today) in {"missing", "overdue"}
            )
        )

    rows = []
    for member in staff:
        check = latest_dbs.get(member.pk)
        dbs = (
            Due(
                check.next_check_due(organisation.dbs_recheck_months),
                f"{check.get_level_display()}, issued {check.issued_on:%-d %b %Y}"
                + (", Update Service" if check.update_service else ""),
            )
            if check
            else Due(None, "none recorded")
        )
        rows.append(
            StaffCompliance(
                member=member,
                dbs=dbs,
                safeguarding=training(member, TrainingKind.SAFEGUARDING),
                online_safety=training(member, TrainingKind.ONLINE_SAFETY),
                gaps=gaps(member),
                other_training=tuple(
                    (kind, training(member, kind))
                    for kind in sorted(needed.get(member.pk, set()) - BASE_TRAINING)
                ),
            )
        )
    return rows


def dbs_current(staff: User, today: dt.date | None = None) -> bool:
    """A DBS check is recorded and not yet due for renewal."""
    today = today or timezone.localdate()
    check = DBSCheck.objects.filter(staff=staff).order_by("-issued_on", "-pk").first()
    months = staff.organisation.dbs_recheck_months
    return check is not None and check.next_check_due(months) > today


# How long after someone joins their DBS check and training may go unrecorded.
RECORDING_GRACE = dt.timedelta(days=14)


def _missing(
    member: User,
    kind: str,
    label: str,
    organisation: Organisation,
    tz: zoneinfo.ZoneInfo,
    now: dt.datetime,
) -> Iterator[DueItem]:
    """Nothing recorded at all two weeks after joining: the admins are told weekly."""
    due_at = local_midnight((member.date_joined + RECORDING_GRACE).astimezone(tz).date(), tz)
    stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
    if stage is None:
        return
    yield DueItem(
        kind=kind.replace("_due", "_missing"),
        obj=member,
        stage=stage,
        recipients=list(User.objects.of(organisation).admins()),
        due_at=due_at,
        title=f"No {label} is recorded for {member.full_name}",
        url=reverse("staff_compliance_detail", args=[member.pk]),
    )


def checks_falling_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """DBS re-checks and training refreshes: to the person and the admins, 30
    days before, 7 days before, on the day and weekly while overdue."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    horizon = now.astimezone(tz).date() + dt.timedelta(days=31)
    staff = list(User.objects.filter(organisation=organisation, is_active=True, is_superuser=False))
    admins = None
    for row in compliance_for(staff, organisation):
        labels = dict(TrainingKind.choices)
        for kind, label, due in (
            ("compliance.dbs_due", "DBS check", row.dbs),
            ("compliance.safeguarding_due", "safeguarding training", row.safeguarding),
            ("compliance.online_safety_due", "online-safety training", row.online_safety),
            # What the role (or holding an online account) adds.
            *(
                (f"compliance.{kind}_due", f"{labels[kind].lower()} training", due)
                for kind, due in row.other_training
            ),
        ):
            if due.on is None:
                yield from _missing(row.member, kind, label, organisation, tz, now)
                continue
            if due.on > horizon:
                continue
            due_at = local_midnight(due.on, tz)
            stage = stage_for(due_at=due_at, now=now, tz=tz)
            if stage is None:
                continue
            if admins is None:
                admins = list(User.objects.of(organisation).admins())
            when = "was due" if stage.startswith("overdue") or stage == "due" else "is due"
            yield DueItem(
                kind=kind,
                obj=row.member,
                stage=stage,
                recipients=[row.member, *admins],
                due_at=due_at,
                title=f"{row.member.full_name}'s {label} {when} on {due.on:%-d %B %Y}",
                url=reverse("staff_compliance_detail", args=[row.member.pk]),
            )
