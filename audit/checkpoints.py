"""Signed copies of the audit chain's head, kept outside the database.

Inside the database, the head's MAC stops anyone without the audit key from
moving it back; but a head saved earlier (from an old backup, say) still
verifies, and a database emptied of events and head looks like a new one. A
checkpoint is a signed note of (seq, hash, MAC, time) kept elsewhere: in its own
storage and in the operators' mailboxes. ``verify_audit --against FILE`` then
proves the chain still reaches that event, with that hash. See
docs/operations.md for how operators keep them.
"""

import datetime as dt
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages
from django.utils import timezone

from audit import services as audit
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from common.emails import send_email

log = logging.getLogger(__name__)

# Part of every checkpoint's signature: never change it.
SALT = "safeguard.audit.checkpoint"
STORAGE_ALIAS = "audit_checkpoints"
KIND = "Safeguard audit checkpoint"


class CheckpointError(Exception):
    """A checkpoint file that cannot be trusted, or a chain that falls short of one."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    mac: str
    taken_at: dt.datetime

    def payload(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "mac": self.mac,
            "taken_at": self.taken_at.astimezone(dt.UTC).isoformat(),
        }


def _signer() -> signing.Signer:
    # The audit key, not SECRET_KEY alone: rotating SECRET_KEY must not void old checkpoints.
    return signing.Signer(key=audit.audit_key(), salt=SALT, algorithm="sha256")


def checkpoint_storage() -> Storage:
    """STORAGES["audit_checkpoints"] when configured, else the default storage."""
    if STORAGE_ALIAS in settings.STORAGES:
        return storages[STORAGE_ALIAS]
    return default_storage


def operators() -> list[str]:
    """Who receives checkpoints: OPERATORS, else the addresses in ADMINS."""
    return list(settings.OPERATORS) or [email for _name, email in settings.ADMINS]


def checkpoint_take() -> Checkpoint:
    """The head as it stands, refused if its MAC does not verify: a checkpoint of
    a moved head would vouch for it."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return Checkpoint(0, GENESIS_HASH, audit.head_mac(0, GENESIS_HASH), timezone.now())
    if head.mac != audit.head_mac(head.seq, head.hash):
        raise CheckpointError(
            f"The audit chain head (#{head.seq}) does not verify; no checkpoint was taken. "
            "Run manage.py verify_audit against the latest checkpoint."
        )
    return Checkpoint(head.seq, head.hash, head.mac, timezone.now())


def checkpoint_render(checkpoint: Checkpoint) -> bytes:
    """The file: the fields for people to read, and the same fields signed."""
    payload = checkpoint.payload()
    document = {"kind": KIND, **payload, "signed": _signer().sign_object(payload)}
    return (json.dumps(document, indent=2) + "\n").encode()


def checkpoint_read(content: bytes) -> Checkpoint:
    """A checkpoint file's contents, or CheckpointError saying why it is refused."""
    try:
        document = json.loads(content)
        signed = document["signed"]
    except (ValueError, TypeError, KeyError) as error:
        raise CheckpointError("This is not a Safeguard audit checkpoint file.") from error
    try:
        payload = _signer().unsign_object(signed)
    except signing.BadSignature as error:
        raise CheckpointError(
            "The checkpoint's signature does not verify: the file was altered, or signed "
            "with another AUDIT_CHAIN_KEY."
        ) from error
    if any(document.get(field) != value for field, value in payload.items()):
        raise CheckpointError(
            "The checkpoint's readable fields differ from what was signed: the file was altered."
        )
    checkpoint = Checkpoint(
        seq=int(payload["seq"]),
        hash=str(payload["hash"]),
        mac=str(payload["mac"]),
        taken_at=dt.datetime.fromisoformat(payload["taken_at"]),
    )
    if checkpoint.mac != audit.head_mac(checkpoint.seq, checkpoint.hash):
        raise CheckpointError("The checkpoint's head MAC does not verify under this audit key.")
    return checkpoint


def checkpoint_compare(checkpoint: Checkpoint) -> str:
    """How the chain falls short of the checkpoint, or "" when it reaches it."""
    when = f"the checkpoint of {checkpoint.taken_at:%Y-%m-%d %H:%M} UTC"
    if checkpoint.seq == 0:
        return ""
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head is not None else 0
    if head_seq < checkpoint.seq:
        return (
            f"the chain ends at #{head_seq} but {when} saw #{checkpoint.seq}: "
            f"{checkpoint.seq - head_seq} or more of the newest events were removed "
            "and the head moved back"
        )
    event = AuditEvent.objects.filter(seq=checkpoint.seq).first()
    if event is None:
        return f"event #{checkpoint.seq}, which {when} saw, is missing"
    if event.hash != checkpoint.hash:
        return (
            f"event #{checkpoint.seq} is not the one {when} saw: the events from there on "
            "were replaced"
        )
    return ""


def checkpoint_write(*, send: bool = True) -> str:
    """Take a checkpoint, store it, and (with ``send``) email it to the operators.

    Returns the stored file's name. Safe to run twice: each run writes a new,
    true checkpoint under its own name.
    """
    try:
        checkpoint = checkpoint_take()
    except CheckpointError as error:
        for to in operators():
            send_email(
                to=to,
                subject="Safeguard: audit checkpoint NOT taken",
                template="audit_checkpoint_refused",
                context={"problem": str(error)},
                html=False,
            )
        raise
    content = checkpoint_render(checkpoint)
    taken = checkpoint.taken_at.astimezone(dt.UTC)
    filename = f"audit-checkpoint-{taken:%Y%m%dT%H%M%SZ}-{checkpoint.seq}.json"
    name = checkpoint_storage().save(
        f"audit-checkpoints/{taken:%Y/%m}/{filename}", ContentFile(content)
    )
    if send:
        recipients = operators()
        if not recipients:
            log.warning("Audit checkpoint %s stored but not emailed: no OPERATORS set", name)
        for to in recipients:
            send_email(
                to=to,
                subject=f"Safeguard audit checkpoint #{checkpoint.seq}",
                template="audit_checkpoint",
                context={"checkpoint": checkpoint, "filename": filename, "stored_as": name},
                html=False,
                attachments=[(filename, content, "application/json")],
            )
    return name
