"""Writes to the online-practice registers, and the checks the contact log
asks of them (consent.gate calls these; this app never imports consent)."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from audit import services as audit
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


def tasks_ensure(*, organisation: Organisation) -> list[RecurringTask]:
    """The tasks the policies ask every organisation for, owned by its DSL (or an
    admin), due a month from when they first appear."""
    leads = sorted(User.objects.of(organisation).leads(), key=lambda lead: lead.role != Role.DSL)
    owner = leads[0] if leads else None
    if owner is None:
        return list(RecurringTask.objects.filter(organisation=organisation))
    for title in DEFAULT_TASKS:
        try:
            with transaction.atomic():
                RecurringTask.objects.get_or_create(
                    organisation=organisation,
                    title=title,
                    defaults={
                        "owner": owner,
                        "next_due": timezone.localdate() + relativedelta(months=1),
                    },
                )
        except IntegrityError:
            pass  # created at the same moment by another sweep; it is there now
    return list(RecurringTask.objects.filter(organisation=organisation))


@transaction.atomic
def task_complete(
    *,
    task: RecurringTask,
    by: User,
    done_on: dt.date,
    evidence: str,
) -> TaskCompletion:
    """Done, with what shows it; the next one falls due a cycle later."""
    task = RecurringTask.objects.select_for_update(no_key=True).get(pk=task.pk)
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "The date done cannot be in the future."})
    last = task.completions.order_by("-done_on").values_list("done_on", flat=True).first()
    if last is not None and done_on < last:
        raise ValidationError(
            {"done_on": f"It was last done on {last:%-d %B %Y}; record a later date."}
        )
    if done_on < timezone.localdate() - relativedelta(years=1):
        raise ValidationError({"done_on": "Record what was done within the last year."})
    if not evidence.strip():
        raise ValidationError({"evidence": "Say what was done and where the evidence is."})
    completion = TaskCompletion.objects.create(task=task, done_on=done_on, by=by, evidence=evidence)
    task.next_due = done_on + relativedelta(months=task.cycle_months)
    task._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    task.save()
    audit.record(
        action="practice.task_done",
        actor=by,
        obj=task,
        details={"next_due": str(task.next_due)},
    )
    return completion
