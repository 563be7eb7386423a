"""The audit log: one function records events, one verifies the chain.

Every later capability calls ``record``. Events are hash-chained: each stores
the previous event's hash and an HMAC-SHA256 over its own fields plus that link.
"""

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Organisation, User
from audit import context
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

SYSTEM = "system"


# Control characters (CR, LF, ESC...), invisible format characters (including the
# bidirectional overrides that make text read backwards) and Unicode line breaks.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _escape_char(char: str) -> str:
    if unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_controls(value: object) -> object:
    """Escape every character that could forge or disguise a line in ``value``.

    A value typed by a user (an email tried at sign-in, a reason) must not be able
    to start a new line in a log export or a terminal reading the audit trail, or
    to make itself display as something else.
    """
    if isinstance(value, str):
        return "".join(_escape_char(char) for char in value)
    if isinstance(value, dict):
        return {str(_escape_controls(k)): _escape_controls(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_controls(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _escape_controls(str(value))


def event_hash(event: AuditEvent) -> str:
    """HMAC-SHA256 over a canonical JSON form of everything the event says.

    Keyed (AUDIT_CHAIN_KEY, else a key derived from SECRET_KEY), so access to the
    database alone is not enough to rewrite events and recompute the chain.
    """
    payload = [
        event.seq,
        event.previous_hash,
        event.organisation_id,
        event.actor_id,
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        event.ip_address,
        event.details,
    ]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return salted_hmac(
        # Pinned to the module's old path: the salt is part of every stored hash.
        "safeguard.audit.chain",
        canonical,
        secret=audit_key(),
        algorithm="sha256",
    ).hexdigest()


def audit_key() -> str:
    """The audit log's key: kept apart from SECRET_KEY when AUDIT_CHAIN_KEY is set."""
    return str(settings.AUDIT_CHAIN_KEY or settings.SECRET_KEY)


def head_mac(seq: int, hash: str) -> str:
    """The chain head's MAC: only someone holding the audit key can move the head."""
    return salted_hmac(
        "safeguard.audit.head", f"{seq}:{hash}", secret=audit_key(), algorithm="sha256"
    ).hexdigest()


def record(
    *,
    action: str,
    actor: User | None = None,
    organisation: Organisation | None = None,
    obj: models.Model | None = None,
    ip_address: str | None = None,
    details: dict[str, object] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Runs inside the caller's transaction when there is one, so an action that
    rolls back leaves no event behind, and an event is never missing for an
    action that committed. The client's address is the request's being served
    (audit.context), unless given; outside a request there is none.
    """
    if organisation is None:
        organisation = getattr(actor, "organisation", None) or getattr(obj, "organisation", None)
    if actor_label is None:
        actor_label = actor.email if actor is not None else SYSTEM
    with transaction.atomic():
        # Claim the head first: the UPDATE (which changes nothing, so the head's
        # trigger lets it through) takes the head row's write lock (PostgreSQL) or
        # the database write lock (SQLite), so the read below sees the true newest
        # event and no two writers fork the chain.
        if not AuditChainHead.objects.filter(pk=1).update(seq=F("seq")):
            # The very first event in this database starts the chain.
            AuditChainHead.objects.get_or_create(
                pk=1,
                defaults={"seq": 0, "hash": GENESIS_HASH, "mac": head_mac(0, GENESIS_HASH)},
            )
            AuditChainHead.objects.filter(pk=1).update(seq=F("seq"))
        head = AuditChainHead.objects.get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            organisation=organisation,
            actor=actor,
            actor_label=str(_escape_controls(actor_label))[:254],
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            occurred_at=timezone.now(),
            ip_address=ip_address or context.current().ip_address,
            details=_escape_controls(details or {}),
            previous_hash=head.hash,
        )
        event.hash = event_hash(event)
        event.save()
        # One step, as the head's trigger requires: the next seq, its hash, its MAC.
        AuditChainHead.objects.filter(pk=1).update(
            seq=event.seq, hash=event.hash, mac=head_mac(event.seq, event.hash)
        )
    return event


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int
    problem: str = ""
    # Sealed records (audit.seals) that differ from their seals, by kind and id.
    records: tuple[str, ...] = ()


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk every event in order and name the first one that does not fit; then
    check the head's MAC, and every sealed record against its newest seal."""
    from audit import seals  # seals records through this module

    expected_seq = 1
    previous = GENESIS_HASH
    checked = 0
    newest_seals: dict[tuple[str, str], seals.Seal] = {}
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        where = f"event #{event.seq} (id {event.pk}, {event.action})"
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, f"{where}: expected #{expected_seq}; events are missing"
            )
        if event.previous_hash != previous:
            return ChainReport(False, checked, f"{where}: does not follow the event before it")
        if event_hash(event) != event.hash:
            return ChainReport(False, checked, f"{where}: contents do not match its hash")
        if event.action in seals.SEAL_ACTIONS:
            newest_seals[(event.object_type, event.object_id)] = seals.seal_from(
                event.action, event.seq, event.details
            )
        previous = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != previous:
        last = head_seq
        return ChainReport(
            False,
            checked,
            f"event #{checked + 1}: the chain ends at #{checked} but #{last} was written; "
            "the newest events are missing",
        )
    if head is not None and head.mac != head_mac(head.seq, head.hash):
        return ChainReport(
            False,
            checked,
            f"the chain head (#{head.seq}): its MAC does not verify; the head was set outside "
            "Safeguard, so the newest events may have been cut off",
        )
    problems = seals.check_seals(newest_seals)
    if problems:
        return ChainReport(False, checked, "sealed records", tuple(problems))
    return ChainReport(True, checked)
