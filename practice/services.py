"""Writes to the online-practice registers, and the checks the contact log
asks of them (consent.gate calls these; this app never imports consent)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from practice.models import (
    DeviceAttestation,
    Platform,
    PlatformAssessment,
    PracticeSettings,
    WorkDevice,
)
from safeguard import audit
from safeguard.models import Organisation, User


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
    *, organisation: Organisation, name: str, kind: str, by: User, approved: bool = False,
    notes: str = "", request: HttpRequest | None = None,
) -> Platform:  # fmt: skip
    if Platform.objects.filter(organisation=organisation, name__iexact=name.strip()).exists():
        raise ValidationError({"name": "That platform is on the register already."})
    platform = Platform(organisation=organisation, name=name.strip(), kind=kind,
                        approved=approved, notes=notes)  # fmt: skip
    platform._history_user = by
    platform.save()
    audit.record(action="practice.platform_added", actor=by, obj=platform, request=request,
                 details={"name": platform.name, "approved": approved})  # fmt: skip
    return platform


@transaction.atomic
def platform_approval_set(
    *, platform: Platform, approved: bool, by: User, request: HttpRequest | None = None
) -> Platform:
    if approved and platform.current_assessment() is None:
        raise ValidationError("Record a current risk assessment before approving the platform.")
    platform.approved = approved
    platform._history_user = by
    platform.save()
    audit.record(action="practice.platform_approval", actor=by, obj=platform, request=request,
                 details={"approved": approved})  # fmt: skip
    return platform


@transaction.atomic
def platform_assess(
    *, platform: Platform, by: User, assessed_on: dt.date, summary: str,
    review_due: dt.date | None = None, request: HttpRequest | None = None,
) -> PlatformAssessment:  # fmt: skip
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": "The assessment date cannot be in the future."})
    if not summary.strip():
        raise ValidationError({"summary": "Summarise the risks and how they are managed."})
    review_due = review_due or PlatformAssessment.default_review(assessed_on)
    if review_due <= assessed_on:
        raise ValidationError({"review_due": "The review must come after the assessment."})
    assessment = PlatformAssessment.objects.create(
        platform=platform, assessed_on=assessed_on, assessed_by=by, summary=summary,
        review_due=review_due,
    )  # fmt: skip
    audit.record(action="practice.platform_assessed", actor=by, obj=platform, request=request,
                 details={"review_due": str(review_due)})  # fmt: skip
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
def device_register(
    *, staff: User, description: str, by: User, request: HttpRequest | None = None
) -> WorkDevice:
    if not description.strip():
        raise ValidationError({"description": "Describe the device, e.g. 'Work mobile, Samsung'."})
    device = WorkDevice.objects.create(organisation_id=staff.organisation_id, staff=staff,
                                       description=description.strip())  # fmt: skip
    audit.record(action="practice.device_registered", actor=by, obj=device, request=request,
                 details={"staff": staff.pk})  # fmt: skip
    return device


@transaction.atomic
def device_attest(
    *, device: WorkDevice, by: User, password_protected: bool, kept_from_others: bool,
    request: HttpRequest | None = None,
) -> DeviceAttestation:  # fmt: skip
    if not (password_protected and kept_from_others):
        raise ValidationError(
            "A work device must be password protected and kept from others before it is used "
            "with children. Fix that first, then attest."
        )
    attestation = DeviceAttestation.objects.create(
        device=device, attested_on=timezone.localdate(), by=by, password_protected=True,
        kept_from_others=True,
    )  # fmt: skip
    audit.record(action="practice.device_attested", actor=by, obj=device, request=request)
    return attestation


@transaction.atomic
def practice_settings_update(
    *, organisation: Organisation, by: User, request: HttpRequest | None = None,
    **fields: object,
) -> PracticeSettings:  # fmt: skip
    settings, _ = PracticeSettings.objects.get_or_create(organisation=organisation)
    for name, value in fields.items():
        setattr(settings, name, value)
    settings._history_user = by
    settings.save()
    audit.record(action="practice.settings_changed", actor=by, obj=settings, request=request,
                 details={name: str(value) for name, value in fields.items()})  # fmt: skip
    return settings
