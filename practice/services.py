"""Writes to the online-practice registers, and the checks the contact log
asks of them (consent.gate calls these; this app never imports consent)."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from audit import services as audit
from common.private_files import document_checked, stored_name, upload_bytes
from common.uploads import UploadRefused
from practice.models import (
    DeviceAttestation,
    OnlineAccount,
    Platform,
    PlatformAssessment,
    PracticeSettings,
    RecurringTask,
    TaskCompletion,
    WorkDevice,
)


def settings_for(organisation: Organisation) -> PracticeSettings:
    found = PracticeSettings.objects.filter(organisation=organisation).first()
    return found or PracticeSettings(organisation=organisation)


# --- platforms ---------------------------------------------------------------------------


def usable_platforms(organisation: Organisation, today: dt.date | None = None) -> list[Platform]:
    """Approved platforms with a current risk assessment: the only ones a contact
    may name (two queries, whatever the count)."""
    platforms = Platform.objects.filter(organisation=organisation, approved=True)
    return [p for p in platforms.prefetch_related("assessments") if p.current_assessment(today)]


@transaction.atomic
def platform_add(
    *,
    organisation: Organisation,
    name: str,
    kind: str,
    by: User,
    approved: bool = False,
    notes: str = "",
) -> Platform:
    if Platform.objects.filter(organisation=organisation, name__iexact=name.strip()).exists():
        raise ValidationError({"name": "That platform is on the register already."})
    platform = Platform(
        organisation=organisation, name=name.strip(), kind=kind, approved=approved, notes=notes
    )
    platform._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    platform.save()
    audit.record(
        action="practice.platform_added",
        actor=by,
        obj=platform,
        details={"name": platform.name, "approved": approved},
    )
    return platform


@transaction.atomic
def platform_approval_set(*, platform: Platform, approved: bool, by: User) -> Platform:
    if approved and platform.current_assessment() is None:
        raise ValidationError("Record a current risk assessment before approving the platform.")
    platform.approved = approved
    platform._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    platform.save()
    audit.record(
        action="practice.platform_approval",
        actor=by,
        obj=platform,
        details={"approved": approved},
    )
    return platform


@transaction.atomic
def platform_assess(
    *,
    platform: Platform,
    by: User,
    assessed_on: dt.date,
    summary: str,
    review_due: dt.date | None = None,
) -> PlatformAssessment:
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": "The assessment date cannot be in the future."})
    if not summary.strip():
        raise ValidationError({"summary": "Summarise the risks and how they are managed."})
    longest = PlatformAssessment.default_review(assessed_on)
    review_due = review_due or longest
    if review_due <= assessed_on:
        raise ValidationError({"review_due": "The review must come after the assessment."})
    if review_due > longest:
        raise ValidationError({"review_due": "A platform is reassessed at least every 12 months."})
    assessment = PlatformAssessment.objects.create(
        platform=platform,
        assessed_on=assessed_on,
        assessed_by=by,
        summary=summary,
        review_due=review_due,
    )
    audit.record(
        action="practice.platform_assessed",
        actor=by,
        obj=platform,
        details={"review_due": str(review_due)},
    )
    return assessment


# --- work devices -----------------------------------------------------------------------


def devices_for(staff: User, today: dt.date | None = None) -> list[WorkDevice]:
    """A member of staff's registered devices with a current yearly attestation."""
    today = today or timezone.localdate()
    devices = WorkDevice.objects.filter(staff=staff, retired_on__isnull=True)
    return [
        device
        for device in devices.prefetch_related("attestations")
        if (until := device.attested_until()) is not None and until >= today
    ]


@transaction.atomic
def device_register(*, staff: User, description: str, by: User) -> WorkDevice:
    if not description.strip():
        raise ValidationError({"description": "Describe the device, e.g. 'Work mobile, Samsung'."})
    device = WorkDevice.objects.create(
        organisation_id=staff.organisation_id, staff=staff, description=description.strip()
    )
    audit.record(
        action="practice.device_registered",
        actor=by,
        obj=device,
        details={"staff": staff.pk},
    )
    return device


@transaction.atomic
def device_attest(
    *,
    device: WorkDevice,
    by: User,
    password_protected: bool,
    kept_from_others: bool,
) -> DeviceAttestation:
    if not (password_protected and kept_from_others):
        raise ValidationError(
            "A work device must be password protected and kept from others before it is used "
            "with children. Fix that first, then attest."
        )
    attestation = DeviceAttestation.objects.create(
        device=device,
        attested_on=timezone.localdate(),
        by=by,
        password_protected=True,
        kept_from_others=True,
    )
    audit.record(action="practice.device_attested", actor=by, obj=device)
    return attestation


@transaction.atomic
def practice_settings_update(
    *,
    organisation: Organisation,
    by: User,
    **fields: object,
) -> PracticeSettings:
    settings, _ = PracticeSettings.objects.get_or_create(organisation=organisation)
    level = fields.pop("online_dbs_level", None)
    if level is not None and level != organisation.online_dbs_level:
        audit.record(
            action="organisation.settings_changed",
            actor=by,
            obj=organisation,
            details={
                "changed": {
                    "online_dbs_level": {"from": organisation.online_dbs_level, "to": level}
                }
            },
        )
        organisation.online_dbs_level = str(level)
        organisation.save(update_fields=["online_dbs_level"])
    for name, value in fields.items():
        setattr(settings, name, value)
    settings._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    settings.save()
    audit.record(
        action="practice.settings_changed",
        actor=by,
        obj=settings,
        details={name: str(value) for name, value in fields.items()},
    )
    return settings


# --- online accounts --------------------------------------------------------------------


@transaction.atomic
def account_save(
    *,
    organisation: Organisation,
    by: User,
    platform: str,
    handle: str,
    privacy: str,
    holders: list[User],
    monitors: list[User],
    advice_on: dt.date | None = None,
    account: OnlineAccount | None = None,
) -> OnlineAccount:
    """Add or update an account. Fewer than two holders or monitors is allowed
    (the register must say how things are) but flagged and reminded."""
    people = [*holders, *monitors]
    if any(person.organisation_id != organisation.pk for person in people):
        raise ValidationError({"holders": "Choose members of your own organisation."})
    if advice_on is not None and advice_on > timezone.localdate():
        raise ValidationError({"advice_on": "The date of advice cannot be in the future."})
    account = account or OnlineAccount(organisation=organisation)
    account.platform, account.handle, account.privacy = platform, handle, privacy
    account.advice_on = advice_on
    account._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    account.save()
    account.holders.set(holders)
    account.monitors.set(monitors)
    audit.record(
        action="practice.account_saved",
        actor=by,
        obj=account,
        details={"holders": len(holders), "monitors": len(monitors)},
    )
    return account


# --- recurring tasks --------------------------------------------------------------------

DEFAULT_TASKS = [
    "Review of filtering and monitoring",
    "Audit of internet use",
]


TASK_CYCLE_MONTHS = (1, 36)
# Far enough either way for any real plan; a year no calendar reaches would overflow
# when the next cycle is added to it.
TASK_DUE_WINDOW_YEARS = 5


def tasks_ensure(*, organisation: Organisation) -> list[RecurringTask]:
    """The tasks the policies ask every organisation for, owned by its DSL (or an
    admin), due a month from when they first appear. A default the admins have
    retired stays retired, and one they renamed stays renamed: only a title no
    task of the organisation has ever had (its history says) is added."""
    leads = sorted(User.objects.of(organisation).leads(), key=lambda lead: lead.role != Role.DSL)
    owner = leads[0] if leads else None
    if owner is None:
        return list(RecurringTask.objects.filter(organisation=organisation))
    for title in DEFAULT_TASKS:
        if RecurringTask.history.filter(organisation=organisation, title=title).exists():
            continue
        try:
            with transaction.atomic():
                RecurringTask.objects.create(
                    organisation=organisation,
                    title=title,
                    owner=owner,
                    next_due=timezone.localdate() + relativedelta(months=1),
                )
        except IntegrityError:
            pass  # created at the same moment by another sweep; it is there now
    return list(RecurringTask.objects.filter(organisation=organisation))


def _task_checked(
    *,
    organisation: Organisation,
    title: str,
    owner: User,
    cycle_months: int,
    next_due: dt.date,
    task: RecurringTask | None = None,
) -> None:
    errors: dict[str, str] = {}
    same_title = RecurringTask.objects.filter(
        organisation=organisation, active=True, title__iexact=title.strip()
    )
    if task is not None:
        same_title = same_title.exclude(pk=task.pk)
    if not title.strip():
        errors["title"] = "Enter the task's title."
    elif same_title.exists():
        errors["title"] = "A task with that title is already on the list."
    if owner.organisation_id != organisation.pk or not owner.is_active or owner.is_superuser:
        errors["owner"] = "Choose a current member of your own organisation's staff."
    low, high = TASK_CYCLE_MONTHS
    if not low <= cycle_months <= high:
        errors["cycle_months"] = f"Enter a cycle of {low} to {high} months."
    today = timezone.localdate()
    window = relativedelta(years=TASK_DUE_WINDOW_YEARS)
    if not today - window <= next_due <= today + window:
        errors["next_due"] = f"Enter a date within {TASK_DUE_WINDOW_YEARS} years of today."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def task_create(
    *,
    organisation: Organisation,
    by: User,
    title: str,
    owner: User,
    cycle_months: int,
    next_due: dt.date,
    description: str = "",
    evidence_expected: str = "",
) -> RecurringTask:
    """A task the policies ask for, added by the organisation itself."""
    _task_checked(
        organisation=organisation,
        title=title,
        owner=owner,
        cycle_months=cycle_months,
        next_due=next_due,
    )
    task = RecurringTask(
        organisation=organisation,
        title=title.strip(),
        description=description,
        evidence_expected=evidence_expected,
        owner=owner,
        cycle_months=cycle_months,
        next_due=next_due,
    )
    task._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        raise ValidationError({"title": "A task with that title is already on the list."}) from None
    audit.record(
        action="practice.task_added",
        actor=by,
        obj=task,
        details={
            "title": task.title,
            "owner": owner.pk,
            "cycle_months": cycle_months,
            "next_due": str(next_due),
        },
    )
    return task


TASK_FIELDS = ("title", "description", "evidence_expected", "owner", "cycle_months", "next_due")


def _audited(value: object) -> object:
    if isinstance(value, User):
        return {"id": value.pk, "name": value.full_name}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def task_update(
    *,
    task: RecurringTask,
    by: User,
    title: str,
    owner: User,
    cycle_months: int,
    next_due: dt.date,
    description: str = "",
    evidence_expected: str = "",
) -> RecurringTask:
    """Change an active task; the audit names each field changed, from and to."""
    task = (
        RecurringTask.objects.select_for_update(no_key=True).select_related("owner").get(pk=task.pk)
    )
    if not task.active:
        raise ValidationError("The task is retired; it can no longer be changed.")
    _task_checked(
        organisation=task.organisation,
        title=title,
        owner=owner,
        cycle_months=cycle_months,
        next_due=next_due,
        task=task,
    )
    wanted: dict[str, object] = {
        "title": title.strip(),
        "description": description,
        "evidence_expected": evidence_expected,
        "owner": owner,
        "cycle_months": cycle_months,
        "next_due": next_due,
    }
    changed = {
        name: {"from": _audited(getattr(task, name)), "to": _audited(value)}
        for name, value in wanted.items()
        if getattr(task, name) != value
    }
    if not changed:
        return task
    for name, value in wanted.items():
        setattr(task, name, value)
    task._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        raise ValidationError({"title": "A task with that title is already on the list."}) from None
    audit.record(action="practice.task_changed", actor=by, obj=task, details={"changed": changed})
    return task


@transaction.atomic
def task_retire(*, task: RecurringTask, by: User, reason: str = "") -> RecurringTask:
    """No longer asked for: kept, with every completion, but never due again."""
    task = RecurringTask.objects.select_for_update(no_key=True).get(pk=task.pk)
    if not task.active:
        raise ValidationError("The task is already retired.")
    task.active = False
    task._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    task.save(update_fields=["active"])
    audit.record(
        action="practice.task_retired",
        actor=by,
        obj=task,
        details={"title": task.title, "reason": reason},
    )
    return task


@transaction.atomic
def task_complete(
    *,
    task: RecurringTask,
    by: User,
    done_on: dt.date,
    evidence: str = "",
    evidence_file: UploadedFile | None = None,
) -> TaskCompletion:
    """Done, with what shows it (in words, a file, or both); the next one falls
    due a cycle later. The file is checked by its content and stored under a
    name of our making."""
    task = RecurringTask.objects.select_for_update(no_key=True).get(pk=task.pk)
    if not task.active:
        raise ValidationError("The task is retired; it is no longer recorded.")
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "The date done cannot be in the future."})
    last = task.completions.order_by("-done_on").values_list("done_on", flat=True).first()
    if last is not None and done_on < last:
        raise ValidationError(
            {"done_on": f"It was last done on {last:%-d %B %Y}; record a later date."}
        )
    if done_on < timezone.localdate() - relativedelta(years=1):
        raise ValidationError({"done_on": "Record what was done within the last year."})
    if not evidence.strip() and evidence_file is None:
        raise ValidationError(
            {"evidence": "Say what was done and where the evidence is, or attach the evidence."}
        )
    completion = TaskCompletion(task=task, done_on=done_on, by=by, evidence=evidence.strip())
    details: dict[str, object] = {}
    if evidence_file is not None:
        try:
            data = upload_bytes(evidence_file)
            kind = document_checked(data)
        except UploadRefused as error:
            raise ValidationError({"evidence_file": str(error)}) from error
        name = stored_name(f"task-{task.pk}", data, kind)
        # Through the storage API: wherever files are kept, never a path of ours.
        completion.evidence_file.save(name, ContentFile(data), save=False)
        details = {"evidence_file": completion.evidence_file.name, "kind": kind}
    completion.save()
    task.next_due = done_on + relativedelta(months=task.cycle_months)
    task._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    task.save()
    audit.record(
        action="practice.task_done",
        actor=by,
        obj=task,
        details={"next_due": str(task.next_due), "completion": completion.pk, **details},
    )
    return completion
