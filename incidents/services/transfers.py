"""Sending a child protection file to the child's new setting, its collection
and receipt, and importing one another setting sent.

The passphrase is made here, handed back once for the lead to pass on by the
route they chose, and kept nowhere: not in the database, the email, the audit
log or the session. The link's token is made when its email is written
(incidents.emails); only its hash is stored.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from audit import context as audit_context
from audit import services as audit
from children import services as children_services
from children.models import Child
from incidents import timeline
from incidents.transfer_models import (
    LINK_VALID,
    PACKAGE_MAX_BYTES,
    FileTransfer,
    PassphraseRoute,
    ReceivedFile,
    TransferNotNeeded,
    transfer_due_on,
)
from incidents.transfer_package import (
    PackageError,
    build_package,
    new_passphrase,
    open_package,
    package_records,
)
from notices import engine as reminders
from outbox.services import email_queue

EMAIL_KIND = "incidents.file_transfer"


@dataclass(frozen=True)
class Started:
    transfer: FileTransfer
    # Shown once to the lead who sent it; stored nowhere.
    passphrase: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def transfer_start(
    *,
    child: Child,
    by: User,
    left_on: dt.date,
    recipient_name: str,
    recipient_role: str,
    recipient_setting: str,
    recipient_email: str,
    passphrase_route: str,
) -> Started:
    """Make the encrypted file, store it privately and email the recipient a
    single-use link to collect it. A child with no leaving date gets this one."""
    if passphrase_route not in PassphraseRoute.values:
        raise ValidationError({"passphrase_route": "Choose how the passphrase reaches them."})
    if left_on < child.active_from:
        raise ValidationError(
            {"left_on": "The child cannot have left before they started with you."}
        )
    if left_on > timezone.localdate() + dt.timedelta(days=60):
        raise ValidationError({"left_on": "Send the file once the child is about to leave."})
    if child.discharged_on is None:
        children_services.child_update(child=child, by=by, discharged_on=left_on)
    now = timezone.now()
    due_on = transfer_due_on(left_on)
    items = timeline.child_timeline(child)
    records = package_records(
        child=child,
        items=items,
        sender={
            "organisation": child.organisation.name,
            "person": by.full_name,
            "role": by.get_role_display(),
            "email": by.email,
        },
        recipient={
            "person": recipient_name,
            "role": recipient_role,
            "setting": recipient_setting,
            "email": recipient_email,
        },
        left_on=left_on,
        due_on=due_on,
        made_at=now,
    )
    passphrase = new_passphrase()
    content = build_package(
        child=child,
        items=items,
        records=records,
        exported_by=by.full_name,
        passphrase=passphrase,
    )
    transfer = FileTransfer(
        organisation=child.organisation,
        child=child,
        left_on=left_on,
        due_on=due_on,
        recipient_name=recipient_name,
        recipient_role=recipient_role,
        recipient_setting=recipient_setting,
        recipient_email=recipient_email,
        passphrase_route=passphrase_route,
        package_sha256=hashlib.sha256(content).hexdigest(),
        package_size=len(content),
        link_expires_at=now + LINK_VALID,
        created_by=by,
        created_at=now,
    )
    transfer.package.save(
        f"transfer-{child.pk}-{now:%Y%m%d%H%M%S}.pdf", ContentFile(content), save=False
    )
    transfer._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    transfer.save()
    audit.record(
        action="incident.file_transfer_started",
        actor=by,
        obj=child,
        details={
            "transfer": transfer.pk,
            "setting": recipient_setting,
            "entries": len(items),
            "sha256": transfer.package_sha256,
        },
    )
    email_queue(to=recipient_email, purpose=transfer, kind=EMAIL_KIND, requested_by=by)
    return Started(transfer=transfer, passphrase=passphrase)


# --- the recipient's link -------------------------------------------------------------------


def transfer_for_hash(digest: str) -> FileTransfer | None:
    if not digest or len(digest) != 64:
        return None
    return (
        FileTransfer.objects.filter(token_sha256=digest)
        .select_related("organisation", "created_by")
        .first()
    )


def transfer_for_token(token: str) -> FileTransfer | None:
    if not token or len(token) > 100:
        return None
    return transfer_for_hash(token_hash(token))


class AlreadyCollected(Exception):
    """The file was downloaded once already: the link is used up."""


class LinkExpired(Exception):
    """The link's days have passed."""


def _locked(transfer: FileTransfer) -> FileTransfer:
    return (
        FileTransfer.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organisation", "created_by")
        .get(pk=transfer.pk)
    )


def _visitor() -> dict[str, str]:
    return {"user_agent": audit_context.current().user_agent}


@transaction.atomic
def transfer_collect(*, transfer: FileTransfer) -> bytes:
    """The encrypted file, once. Locked, so two clicks (or two people) at once
    get it once and the other is told it was collected."""
    transfer = _locked(transfer)
    if transfer.collected_at is not None:
        raise AlreadyCollected
    if transfer.link_expired:
        raise LinkExpired
    with transfer.package.open("rb") as stored:
        content = stored.read()
    transfer.collected_at = timezone.now()
    transfer.save()
    audit.record(
        action="incident.file_transfer_collected",
        organisation=transfer.organisation,
        actor_label=f"recipient:{transfer.recipient_email}",
        obj=transfer.child,
        details={"transfer": transfer.pk, "sha256": transfer.package_sha256, **_visitor()},
    )
    return content


@transaction.atomic
def transfer_receipt_record(
    *,
    transfer: FileTransfer,
    name: str,
    role: str,
    setting: str,
    note: str = "",
) -> FileTransfer:
    """The recipient confirms they have the file. Recorded once; tells the leads."""
    transfer = _locked(transfer)
    if transfer.received_at is not None:
        raise ValidationError("Receipt of this file is confirmed already.")
    if transfer.link_expired and transfer.collected_at is None:
        raise LinkExpired
    if not name.strip():
        raise ValidationError({"name": "Enter your name."})
    transfer.received_at = timezone.now()
    transfer.received_by_name = name.strip()
    transfer.received_by_role = role.strip()
    transfer.received_setting = setting.strip()
    transfer.receipt_note = note.strip()
    transfer.save()
    audit.record(
        action="incident.file_transfer_received",
        organisation=transfer.organisation,
        actor_label=f"recipient:{transfer.recipient_email}",
        obj=transfer.child,
        details={"transfer": transfer.pk, "name": transfer.received_by_name, **_visitor()},
    )
    reminders.notify_now(
        organisation=transfer.organisation,
        item=reminders.DueItem(
            kind="incidents.transfer_received",
            obj=transfer,
            stage="received",
            recipients=list(User.objects.of(transfer.organisation).leads()),
            due_at=transfer.received_at,
            # No child's name: the reference is the transfer's.
            title=f"Receipt confirmed: child protection file {transfer.pk} reached "
            f"{transfer.received_setting or transfer.recipient_setting}",
            url=reverse("transfer_detail", args=[transfer.pk]),
        ),
    )
    return transfer


# --- no file to send --------------------------------------------------------------------------


@transaction.atomic
def transfer_not_needed_record(*, child: Child, by: User, reason: str) -> TransferNotNeeded:
    if not reason.strip():
        raise ValidationError({"reason": "Say why no file needs to go."})
    record = TransferNotNeeded.objects.create(
        organisation=child.organisation, child=child, reason=reason.strip(), recorded_by=by
    )
    audit.record(
        action="incident.file_transfer_not_needed",
        actor=by,
        obj=child,
        details={"record": record.pk},
    )
    return record


# --- a file another setting sent -------------------------------------------------------------


@transaction.atomic
def received_file_import(*, by: User, data: bytes, passphrase: str) -> ReceivedFile:
    """A new child's file in the importer's organisation, from a package another
    Safeguard made: the child's names and date of birth from its records, and
    the package kept exactly as it arrived."""
    if len(data) > PACKAGE_MAX_BYTES:
        raise ValidationError(
            {"package": f"The file is larger than {PACKAGE_MAX_BYTES // 1_000_000} MB."}
        )
    try:
        records = open_package(data, passphrase)
    except PackageError as error:
        raise ValidationError({error.field: error.message}) from None
    child_data = records.get("child") or {}
    sender = records.get("from") or {}
    try:
        date_of_birth = dt.date.fromisoformat(str(child_data.get("date_of_birth")))
        left_on = dt.date.fromisoformat(records["left_on"]) if records.get("left_on") else None
    except ValueError:
        raise ValidationError({"package": "The file's dates cannot be read."}) from None
    try:
        child = children_services.child_create(
            organisation=by.organisation,
            by=by,
            first_name=str(child_data.get("first_name", "")),
            last_name=str(child_data.get("last_name", "")),
            preferred_name=str(child_data.get("preferred_name") or ""),
            date_of_birth=date_of_birth,
        )
    except ValidationError as error:
        raise ValidationError(
            {
                "package": "The child's details in the file cannot be read: "
                + "; ".join(error.messages)
            }
        ) from None
    now = timezone.now()
    received = ReceivedFile(
        organisation=by.organisation,
        child=child,
        from_organisation=str(sender.get("organisation", ""))[:200] or "Unknown",
        from_person=str(sender.get("person", ""))[:200],
        left_on=left_on,
        package_sha256=hashlib.sha256(data).hexdigest(),
        package_size=len(data),
        records=records,
        imported_by=by,
        imported_at=now,
    )
    received.package.save(
        f"received-{child.pk}-{now:%Y%m%d%H%M%S}.pdf", ContentFile(data), save=False
    )
    received.save()
    audit.record(
        action="incident.file_received_imported",
        actor=by,
        obj=child,
        details={
            "received_file": received.pk,
            "from": received.from_organisation,
            "sha256": received.package_sha256,
        },
    )
    return received


def children_with_no_file_needed(organisation: Organisation) -> QuerySet[Child]:
    """Children a lead said need no file sent."""
    return Child.objects.filter(
        pk__in=TransferNotNeeded.objects.filter(organisation=organisation).values("child_id")
    )
