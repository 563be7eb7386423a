"""Staff compliance: recording DBS checks and training, what is due, and the
reminders that keep them from lapsing."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import Organisation, Role, User
from audit import services as audit
from common.private_files import document_checked, stored_name, upload_bytes
from common.registry import TRAINING_REQUIREMENTS
from common.uploads import UploadRefused
from compliance.models import (
    DBSCheck,
    DBSLevel,
    RoleTrainingRequirement,
    TrainingKind,
    TrainingRecord,
)

# A certificate is a PDF or a picture of one; a Word document is not a certificate.
CERTIFICATE_KINDS = frozenset({"pdf", "png", "jpg"})


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
def training_record(
    *, staff: User, by: User, certificate: UploadedFile | None = None, **fields: object
) -> TrainingRecord:
    """Training done, with its certificate if there is one: checked by content and
    stored under a name of our making."""
    record = TrainingRecord(
        organisation_id=staff.organisation_id, staff=staff, recorded_by=by, **fields
    )
    record.full_clean()
    details: dict[str, object] = {}
    if certificate is not None:
        try:
            data = upload_bytes(certificate)
            kind = document_checked(data, kinds=CERTIFICATE_KINDS)
        except UploadRefused as error:
            raise ValidationError({"certificate": str(error)}) from error
        # Through the storage API: wherever files are kept, never a path of ours.
        record.certificate.save(
            stored_name(f"training-{staff.pk}", data, kind), ContentFile(data), save=False
        )
        details = {"certificate": record.certificate.name}
    record.save()
    audit.record(
        action="compliance.training_recorded",
        actor=by,
        obj=staff,
        details={
            "kind": record.kind,
            "completed_on": record.completed_on.isoformat(),
            "delivery": record.delivery,
            **details,
        },
    )
    return record


def role_training_effective(organisation: Organisation) -> dict[tuple[str, str], bool]:
    """Whether each role needs each kind of training in this organisation: its own
    answer where it gave one, otherwise the default."""
    answers = {
        (role, kind): kind in ROLE_TRAINING.get(role, set())
        for role in Role.values
        for kind in TrainingKind.values
    }
    for role, kind, required in RoleTrainingRequirement.objects.filter(
        organisation=organisation
    ).values_list("role", "kind", "required"):
        answers[(role, kind)] = required
    return answers


@transaction.atomic
def role_training_set(
    *, organisation: Organisation, by: User, wanted: Mapping[tuple[str, str], bool]
) -> list[tuple[str, str, bool]]:
    """Record the organisation's answer for each role and kind that changed; the
    audit names each, from and to. Returns the changes."""
    current = role_training_effective(organisation)
    if any(not wanted.get(pair, True) for pair in TRAINING_FLOOR):
        raise ValidationError(
            "Safeguarding and online safety training (and the "
            f"{organisation.titles.short}'s yearly update) "
            "are always required; they cannot be switched off."
        )
    changes = [
        (role, kind, required)
        for (role, kind), required in sorted(wanted.items())
        if (role, kind) in current and current[(role, kind)] != required
    ]
    for role, kind, required in changes:
        RoleTrainingRequirement.objects.update_or_create(
            organisation=organisation,
            role=role,
            kind=kind,
            defaults={"required": required, "changed_by": by, "changed_at": timezone.now()},
        )
    if changes:
        audit.record(
            action="compliance.role_training_changed",
            actor=by,
            obj=organisation,
            details={
                "changed": {
                    f"{role}:{kind}": {"from": not required, "to": required}
                    for role, kind, required in changes
                }
            },
        )
    return changes


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
    # Every kind of training required of them, safeguarding and online safety
    # included: (kind, when due).
    required: tuple[tuple[str, Due], ...] = ()
    # Set when the latest DBS check is below the level the organisation requires
    # for online work with children, e.g. "Standard — online work needs Enhanced".
    dbs_shortfall: str = ""
    # The latest DBS check itself, when there is one.
    dbs_check: DBSCheck | None = None

    def dbs_lapsed(self, today: dt.date) -> bool:
        return self.dbs.on is not None and self.dbs.on <= today


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

# What no organisation may switch off: the safeguarding and online-safety
# training every policy asks of anyone who works with children, and the DSL's
# yearly update. Online work is cleared on these (online_work_blockers), so
# unticking them would clear untrained staff to work with children.
TRAINING_FLOOR: frozenset[tuple[str, str]] = frozenset(
    {
        (role, kind)
        for role in (Role.STAFF, Role.DSL, Role.DEPUTY_DSL)
        for kind in (TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY)
    }
    | {(Role.DSL, TrainingKind.DSL_UPDATE), (Role.DEPUTY_DSL, TrainingKind.DSL_UPDATE)}
)
BASE_TRAINING = {TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY}

# DBS levels from least to most thorough: a check satisfies a requirement for its
# own level or any below it (an Enhanced check with the children's barred list is
# also an Enhanced check).
DBS_LEVEL_ORDER: tuple[str, ...] = (
    DBSLevel.BASIC,
    DBSLevel.STANDARD,
    DBSLevel.ENHANCED,
    DBSLevel.ENHANCED_BARRED,
)


def dbs_level_meets(level: str, required: str) -> bool:
    """Whether a check at ``level`` satisfies a requirement for ``required``. An
    unknown level satisfies nothing: it cannot be shown to be thorough enough."""
    if level not in DBS_LEVEL_ORDER or required not in DBS_LEVEL_ORDER:
        return False
    return DBS_LEVEL_ORDER.index(level) >= DBS_LEVEL_ORDER.index(required)


def required_online_dbs_label(organisation: Organisation) -> str:
    return DBSLevel(organisation.online_dbs_level).label


def dbs_shortfall(check: DBSCheck | None, organisation: Organisation) -> str:
    """How a check falls short of the level online work needs, in a few words;
    empty when it does not (or when there is no check: that is "missing", not
    "too low")."""
    required = organisation.online_dbs_level
    if check is None or dbs_level_meets(check.level, required):
        return ""
    return (
        f"{check.get_level_display()} — online work needs {required_online_dbs_label(organisation)}"
    )


def required_training(staff: Sequence[User]) -> dict[int, set[str]]:
    """What each person must have done: their role's training as their
    organisation sets it (one query for everyone, whichever organisations), and
    whatever other apps require of what they do."""
    overrides: dict[tuple[int, str], dict[str, bool]] = defaultdict(dict)
    organisations = {member.organisation_id for member in staff}
    if organisations:
        for organisation_id, role, kind, required in RoleTrainingRequirement.objects.filter(
            organisation_id__in=organisations
        ).values_list("organisation_id", "role", "kind", "required"):
            overrides[(organisation_id, role)][kind] = required

    def for_role(member: User) -> set[str]:
        kinds = set(ROLE_TRAINING.get(member.role, ()))
        for kind, required in overrides.get((member.organisation_id, member.role), {}).items():
            if required:
                kinds.add(kind)
            elif (member.role, kind) not in TRAINING_FLOOR:
                kinds.discard(kind)
        return kinds

    needed = {member.pk: for_role(member) for member in staff}
    # Other apps' requirements (from their training.py), each for everyone at once.
    for requirement in TRAINING_REQUIREMENTS.items():
        for user_id, kinds in requirement(staff).items():
            needed.setdefault(user_id, set()).update(kinds)
    return needed


def compliance_for(
    staff: Sequence[User], organisation: Organisation, today: dt.date | None = None
) -> list[StaffCompliance]:
    """Each person's latest DBS check and training, and what training they lack,
    in a fixed number of queries whatever the headcount."""
    ids = [member.pk for member in staff]
    today = today or timezone.localdate()
    # As things stood that day: a contact logged for last week is judged by the
    # checks and training in place last week, not by a check recorded since.
    latest_dbs: dict[int, DBSCheck] = {}
    checks = DBSCheck.objects.filter(staff_id__in=ids, issued_on__lte=today)
    for issued in checks.order_by("staff_id", "-issued_on"):
        latest_dbs.setdefault(issued.staff_id, issued)
    latest_training: dict[tuple[int, str], TrainingRecord] = {}
    for record in TrainingRecord.objects.filter(staff_id__in=ids, completed_on__lte=today).order_by(
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
                required=tuple(
                    (kind, training(member, kind)) for kind in sorted(needed.get(member.pk, ()))
                ),
                dbs_shortfall=dbs_shortfall(check, organisation),
                dbs_check=check,
            )
        )
    return rows


def _latest_dbs(staff: User, today: dt.date | None = None) -> DBSCheck | None:
    """The latest check issued by ``today`` (a check recorded since does not
    count for a day before it)."""
    today = today or timezone.localdate()
    checks = DBSCheck.objects.filter(staff=staff, issued_on__lte=today)
    return checks.order_by("-issued_on", "-pk").first()


def dbs_current(staff: User, today: dt.date | None = None) -> bool:
    """A DBS check is recorded and not yet due for renewal, whatever its level
    (dbs_meets_online_level asks about the level too)."""
    today = today or timezone.localdate()
    check = _latest_dbs(staff, today)
    months = staff.organisation.dbs_recheck_months
    return check is not None and check.next_check_due(months) > today


def dbs_meets_online_level(staff: User, today: dt.date | None = None) -> bool:
    """The latest DBS check is current and at or above the level the organisation
    requires for online work with children. One query (two if the organisation
    is not already loaded)."""
    today = today or timezone.localdate()
    check = _latest_dbs(staff, today)
    organisation = staff.organisation
    return (
        check is not None
        and check.next_check_due(organisation.dbs_recheck_months) > today
        and dbs_level_meets(check.level, organisation.online_dbs_level)
    )


def blockers_from(row: StaffCompliance, organisation: Organisation, today: dt.date) -> list[str]:
    """Why the person in ``row`` may not work online with children, in plain
    English; empty when nothing stands in the way."""
    reasons = []
    check = row.dbs_check
    required = required_online_dbs_label(organisation)
    if check is None:
        reasons.append(
            f"No DBS check is recorded. Online work with children needs a current {required} check."
        )
    else:
        issued = f"{check.get_level_display()}, issued {check.issued_on:%-d %B %Y}"
        if row.dbs_lapsed(today) and row.dbs.on is not None:
            reasons.append(
                f"The DBS check ({issued}) lapsed on {row.dbs.on:%-d %B %Y}: checks are "
                + ngettext(
                    "renewed every month.",
                    "renewed every %(months)d months.",
                    organisation.dbs_recheck_months,
                )
                % {"months": organisation.dbs_recheck_months}
            )
        if row.dbs_shortfall:
            reasons.append(
                f"The DBS check ({issued}) is {check.get_level_display()}; online work with "
                f"children needs {required}."
            )
    labels = dict(TrainingKind.choices)
    for kind, due in row.required:
        status = due.status(today)
        if status == "missing":
            reasons.append(f"{labels[kind]} training is required and none is recorded.")
        elif status == "overdue" and due.on is not None:
            reasons.append(
                f"{labels[kind]} training was due to be refreshed on {due.on:%-d %B %Y} and "
                "is overdue."
            )
    return reasons


def online_work_blockers(staff: User, today: dt.date | None = None) -> list[str]:
    """Plain-English reasons ``staff`` may not work online with children now: no
    DBS check, a lapsed one, one below the organisation's required level, or
    required training missing or overdue. An empty list means nothing stands in
    the way. A few queries: the latest DBS check, the training records and
    whatever other apps' training requirements ask."""
    today = today or timezone.localdate()
    organisation = staff.organisation
    row = compliance_for([staff], organisation, today=today)[0]
    return blockers_from(row, organisation, today)
