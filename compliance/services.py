"""Staff compliance: recording DBS checks and training, what is due, and the
reminders that keep them from lapsing."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from audit import services as audit
from common.registry import TRAINING_REQUIREMENTS
from compliance.models import DBSCheck, TrainingKind, TrainingRecord


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


def online_work_blockers(staff: User, today: dt.date | None = None) -> list[str]:
    """Why this member of staff may not work online with children; empty when
    nothing stands in the way."""
    if dbs_current(staff, today):
        return []
    return ["the DBS check is missing or lapsed."]
