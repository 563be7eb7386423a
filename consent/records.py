"""Consent that staff record (verbal, paper), renewals Safeguard asks for by
itself, and fresh manage links for parents who lost theirs.

``consent.services`` re-exports these; callers use that module.
"""

import datetime as dt
import hashlib
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from audit import services as audit
from children.models import Child, Guardian
from children.permissions import manages_children
from common.emails import send_email
from common.uploads import UploadRefused, pdf_check
from consent.gate import _guardians_with_pr
from consent.models import (
    ConsentRecord,
    ConsentRequest,
    ConsentType,
    Decision,
    GuardianAccess,
    Method,
)
from consent.services import (
    VERBAL_VALID_DAYS,
    _sha256,
    _token,
    _valid_until,
    consent_request_send,
    current_wording,
)
from notices import engine as reminders

log = logging.getLogger(__name__)


# --- staff-recorded consent ------------------------------------------------------------------


def _tell_leads_of_consent_recorded(*, record: ConsentRecord, what: str, by: User) -> None:
    """Consent a therapist recorded is the leads' to check at once: it lets
    contact with the child start on the therapist's word alone. A lead's own
    record needs no telling."""
    if manages_children(by):
        return
    child = record.child
    reminders.notify_now(
        organisation=child.organisation,
        item=reminders.DueItem(
            kind="consent.recorded_by_staff",
            obj=record,
            stage="recorded",
            recipients=list(User.objects.of(child.organisation).leads()),
            due_at=timezone.now(),
            title=f"{what} recorded by {by.full_name} for {child.display_name}",
            url=reverse("child_detail", args=[child.pk]),
            urgent=True,
        ),
    )


@transaction.atomic
def verbal_consent_record(
    *,
    child: Child,
    guardian: Guardian,
    consent_type: ConsentType,
    by: User,
    notes: str = "",
) -> ConsentRecord:
    """Verbal consent lasts 7 days; a written request goes out at once to confirm it."""
    if guardian.pk not in _guardians_with_pr(child):
        raise ValidationError(
            {"guardian": "Only someone with parental responsibility can consent."}
        )
    version = current_wording(consent_type)
    record = ConsentRecord(
        organisation=child.organisation,
        child=child,
        consent_type=consent_type,
        type_version=version,
        guardian=guardian,
        decision=Decision.GRANTED,
        method=Method.VERBAL,
        valid_until=timezone.localdate() + dt.timedelta(days=VERBAL_VALID_DAYS),
        typed_name=guardian.full_name,
        shown_sha256=_sha256({"verbal": version.explanation}),
        policy_version=version.policy_version,
        recorded_by=by,
        notes=notes[:500],
    )
    record.save()
    audit.record(
        action="consent.verbal_recorded",
        actor=by,
        obj=child,
        details={"guardian": guardian.pk, "consent": consent_type.code},
    )
    _tell_leads_of_consent_recorded(
        record=record, what=f"Verbal consent to {consent_type.name.lower()}", by=by
    )
    if guardian.email:
        consent_request_send(child=child, guardians=[guardian], consent_types=[consent_type], by=by)
    return record


# --- paper forms, renewals and fresh manage links -------------------------------------------

PAPER_TYPES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}
PAPER_MAX_BYTES = 5_000_000
PAPER_MAX_PAGES = 50


def _paper_kind(data: bytes) -> str | None:
    """What the file really is, from its first bytes, whatever its name says."""
    return next((kind for magic, kind in PAPER_TYPES.items() if data.startswith(magic)), None)


@transaction.atomic
def paper_consent_record(
    *,
    child: Child,
    guardian: Guardian,
    consent_types: list[ConsentType],
    signed_on: dt.date,
    signed_by: str,
    scan_name: str,
    scan: bytes,
    by: User,
) -> list[ConsentRecord]:
    """A signed paper form, scanned: one granted record per type it covers."""
    if guardian.pk not in _guardians_with_pr(child):
        raise ValidationError(
            {"guardian": "Only someone with parental responsibility can consent."}
        )
    kind = _paper_kind(scan)
    if kind is None:
        raise ValidationError({"scan": "Upload the scan as a PDF, PNG or JPEG file."})
    if len(scan) > PAPER_MAX_BYTES:
        raise ValidationError({"scan": "The scan is larger than 5 MB."})
    if kind == "pdf":
        try:
            pdf_check(scan, max_pages=PAPER_MAX_PAGES)
        except UploadRefused as error:
            raise ValidationError({"scan": str(error)}) from error
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "The date signed cannot be in the future."})
    scan_sha256 = hashlib.sha256(scan).hexdigest()
    records = []
    for consent_type in consent_types:
        version = current_wording(consent_type)
        record = ConsentRecord(
            organisation=child.organisation,
            child=child,
            consent_type=consent_type,
            type_version=version,
            guardian=guardian,
            decision=Decision.GRANTED,
            method=Method.PAPER,
            valid_until=_valid_until(consent_type, child, signed_on),
            typed_name=signed_by,
            shown_sha256=_sha256({"paper_scan": scan_sha256}),
            policy_version=version.policy_version,
            recorded_by=by,
            notes=f"Paper form signed {signed_on:%-d %b %Y}",
        )
        record.evidence_file.save(
            f"{child.pk}-{scan_sha256[:16]}.{kind}", ContentFile(scan), save=False
        )
        record.save()
        records.append(record)
    audit.record(
        action="consent.paper_recorded",
        actor=by,
        obj=child,
        details={
            "guardian": guardian.pk,
            "types": [t.code for t in consent_types],
            "scan_sha256": scan_sha256,
        },
    )
    if records:
        names = ", ".join(t.name.lower() for t in consent_types)
        _tell_leads_of_consent_recorded(
            record=records[0], what=f"A paper consent form ({names})", by=by
        )
    return records


def _send_manage_link(guardian: Guardian, token: str) -> None:
    link = settings.SITE_URL + reverse("consent_manage_open", args=[token])
    try:
        # The worker knows no page's language: the organisation's first language.
        with translation.override(guardian.organisation.parent_language):
            send_email(
                to=guardian.email,
                subject=gettext("Your link to see and withdraw consent"),
                template="consent_manage_link",
                context={"guardian": guardian, "link": link},
                html=False,
            )
    except Exception:
        log.exception("Manage link for guardian %s not sent", guardian.pk)


MANAGE_LINK_INTERVAL = dt.timedelta(minutes=10)


@transaction.atomic
def manage_link_resend(*, email: str) -> None:
    """Email every guardian with this address a fresh manage link.

    Runs in a worker (consent.tasks.send_manage_link), never in the page that
    asked, which says the same whether or not the address is known. At most one
    email per guardian every 10 minutes, and older links keep working until the
    new one is used, so a stranger who knows the address can neither flood the
    parent nor break their link.
    """
    for guardian in Guardian.objects.filter(email__iexact=email.strip()).exclude(email=""):
        recent = GuardianAccess.objects.filter(
            guardian=guardian, created_at__gt=timezone.now() - MANAGE_LINK_INTERVAL
        ).exists()
        if recent:
            continue
        token, digest = _token()
        GuardianAccess.objects.create(guardian=guardian, token_sha256=digest)
        audit.record(
            action="consent.manage_link_sent",
            organisation=guardian.organisation,
            actor_label=f"guardian:{guardian.pk}",
            obj=guardian,
        )
        transaction.on_commit(partial(_send_manage_link, guardian, token))


@transaction.atomic
def manage_link_open(*, access: GuardianAccess) -> GuardianAccess:
    """A parent continues from their manage link (a POST, never a mail scanner's
    GET): its idle clock restarts, and every older link of the same guardian is
    retired, so an earlier email stops working once the newest one is used."""
    locked = GuardianAccess.objects.select_for_update(no_key=True).get(pk=access.pk)
    if locked.revoked_at is not None or locked.is_expired:
        raise ValidationError("This link no longer works.")
    now = timezone.now()
    locked.last_used_at = now
    locked.save(update_fields=["last_used_at"])
    GuardianAccess.objects.filter(
        guardian=locked.guardian_id, revoked_at__isnull=True, created_at__lt=locked.created_at
    ).update(revoked_at=now)
    return locked


def renewal_requests_send(*, today: dt.date | None = None) -> int:
    """Ask again, by itself, for consent granted online or on paper that runs out
    within CONSENT_RENEWAL_DAYS, once per grant: a request sent after the grant counts."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.CONSENT_RENEWAL_DAYS)
    sent = 0
    grants = (
        ConsentRecord.objects.filter(
            decision=Decision.GRANTED, valid_until__gte=today, valid_until__lte=horizon
        )
        .exclude(method=Method.VERBAL)
        .select_related("child", "guardian", "consent_type")
    )
    for grant in grants:
        latest = (
            ConsentRecord.objects.filter(
                child=grant.child, guardian=grant.guardian, consent_type=grant.consent_type
            )
            .order_by("recorded_at", "pk")
            .last()
        )
        if latest is None or latest.pk != grant.pk or not grant.guardian.email:
            continue  # superseded by a later answer, or no way to ask
        if grant.child.discharged_on:
            continue
        already = ConsentRequest.objects.filter(
            child=grant.child,
            guardian=grant.guardian,
            sent_at__gt=grant.recorded_at,
            items__consent_type=grant.consent_type,
        ).exists()
        if already or grant.guardian_id not in _guardians_with_pr(grant.child):
            continue
        consent_request_send(
            child=grant.child,
            guardians=[grant.guardian],
            consent_types=[grant.consent_type],
            by=None,
        )
        sent += 1
    return sent


@transaction.atomic
def consent_type_update(
    *,
    consent_type: ConsentType,
    by: User,
    explanation: str,
    validity_months: int | None,
    active: bool,
    name_cy: str = "",
    explanation_cy: str = "",
    asked_by_default: bool | None = None,
) -> ConsentType:
    """New wording is a new version: what earlier parents saw stays as it was.
    The Welsh name counts as wording too (it is what a Welsh reader agrees to):
    each version keeps its own, and the type's copy is the current one."""
    current = consent_type.current_version()
    new_wording = (
        current is None
        or current.explanation != explanation
        or current.explanation_cy != explanation_cy
        or current.name_cy != name_cy
        or consent_type.name_cy != name_cy
    )
    if new_wording:
        from consent.models import ConsentTypeVersion

        ConsentTypeVersion.objects.create(
            consent_type=consent_type,
            number=(current.number + 1) if current else 1,
            explanation=explanation,
            name_cy=name_cy,
            explanation_cy=explanation_cy,
            policy_version=current.policy_version if current else None,
        )
    consent_type.validity_months = validity_months
    consent_type.active = active
    consent_type.name_cy = name_cy
    if asked_by_default is not None:
        consent_type.asked_by_default = asked_by_default
    consent_type.save(update_fields=["validity_months", "active", "name_cy", "asked_by_default"])
    audit.record(
        action="consent.type_changed",
        actor=by,
        obj=consent_type,
        organisation=consent_type.organisation,
        details={"new_wording": new_wording},
    )
    return consent_type
