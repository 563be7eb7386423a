"""Seals on the records that are written once: consent records and the chronology.

The append-only triggers refuse a change, but someone who gets round them (a
database superuser, an edited dump restored) could rewrite a consent decision
or a chronology line and nothing would show. So each such record is sealed as
it is written: an audit event (``record.sealed``) carries a keyed hash of the
row exactly as stored. The seal is then part of the hash chain, which cannot be
rewritten without the audit key, and ``verify_audit`` recomputes every live
row's hash against its newest seal: a rewritten row, a row deleted outside a
retention decision and a row added behind Safeguard's back are each named by
kind and id. A retention decision that anonymises a record seals it again
(``record.resealed``); one that deletes it says so (``record.erased``).

Why events rather than a hash column on each row: a column can be deleted with
its row, and recomputed by anyone who can recompute it; a seal in the chain
proves the row existed and what it said, and adds no second mechanism.

A model joins by the ``@sealed`` decorator beside its definition. Saves and
deletes of it send Django's model signals, which seal it; a queryset
``update()`` does not, so an erasure that updates in bulk calls ``reseal``.
"""

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils.crypto import salted_hmac

from accounts.models import Organisation
from audit import services as audit
from audit.models import AuditEvent

SEALED_ACTION = "record.sealed"
RESEALED_ACTION = "record.resealed"
ERASED_ACTION = "record.erased"
SEAL_ACTIONS = frozenset({SEALED_ACTION, RESEALED_ACTION, ERASED_ACTION})

_SEALED: list[type[models.Model]] = []

M = TypeVar("M", bound=type[models.Model])


def sealed(model: M) -> M:
    """Class decorator: every row of this model is sealed in the audit chain."""
    if model not in _SEALED:
        _SEALED.append(model)
        uid = f"audit.seals:{model._meta.label_lower}"
        post_save.connect(_on_save, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_delete, sender=model, dispatch_uid=uid)
    return model


def sealed_models() -> tuple[type[models.Model], ...]:
    return tuple(_SEALED)


def _plain(value: object) -> object:
    """A stored value in one canonical JSON form, whichever database read it."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def seal_hash(values: dict[str, Any], fields: Iterable[str]) -> str:
    """Keyed hash (the audit key) of the named columns of one row."""
    canonical = json.dumps(
        [[name, _plain(values[name])] for name in fields],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return salted_hmac(
        "safeguard.audit.seal", canonical, secret=audit.audit_key(), algorithm="sha256"
    ).hexdigest()


def _columns(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _seal(instance: models.Model, *, action: str, organisation: Organisation | None = None) -> None:
    # The row as the database holds it, not as it sits in memory: what verify reads back.
    model = type(instance)
    fields = _columns(model)
    values = model._base_manager.filter(pk=instance.pk).values(*fields).get()
    audit.record(
        action=action,
        obj=instance,
        organisation=organisation,
        details={"sha256": seal_hash(values, fields), "fields": fields},
    )


def _on_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loaddata restores rows whose seals the restored chain already holds
    _seal(instance, action=SEALED_ACTION if kwargs.get("created") else RESEALED_ACTION)


def _on_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    audit.record(action=ERASED_ACTION, obj=instance)


def reseal(queryset: models.QuerySet) -> None:
    """Seal again rows a retention decision changed with a bulk ``update()``."""
    for instance in queryset.order_by("pk"):
        _seal(instance, action=RESEALED_ACTION)


def seal_unsealed(model: type[models.Model]) -> int:
    """Seal the rows written before sealing began: the data migration that
    brought seals in. ``model`` may be the migration's historical model."""
    label = model._meta.label_lower
    done = set(
        AuditEvent.objects.filter(object_type=label, action__in=SEAL_ACTIONS).values_list(
            "object_id", flat=True
        )
    )
    # Only the key: this runs inside a data migration with today's Organisation
    # model, whose later columns do not exist yet at that point in the history.
    organisations = {o.pk: o for o in Organisation.objects.only("pk")}
    count = 0
    for instance in model._base_manager.order_by("pk").iterator():
        if str(instance.pk) not in done:
            organisation_id = getattr(instance, "organisation_id", None)
            organisation = organisations.get(organisation_id) if organisation_id else None
            _seal(instance, action=SEALED_ACTION, organisation=organisation)
            count += 1
    return count


@dataclass(frozen=True)
class Seal:
    seq: int
    sha256: str | None  # None: erased by a retention decision
    fields: tuple[str, ...]


def seal_from(action: str, seq: int, details: dict[str, Any]) -> Seal:
    if action == ERASED_ACTION:
        return Seal(seq, None, ())
    return Seal(seq, str(details.get("sha256", "")), tuple(details.get("fields", ())))


def check_seals(seals: dict[tuple[str, str], Seal]) -> list[str]:
    """Each live row of every sealed kind against its newest seal, and each seal
    against its row: what differs, by kind and id. ``seals`` is consumed."""
    problems = []
    for model in sealed_models():
        label = model._meta.label_lower
        name = model._meta.verbose_name
        fields = _columns(model)
        for values in model._base_manager.order_by("pk").values(*fields).iterator():
            pk = str(values[model._meta.pk.attname])
            seal = seals.pop((label, pk), None)
            where = f"{name} #{pk} ({label})"
            if seal is None:
                problems.append(f"{where}: has no seal; it was added outside Safeguard")
            elif seal.sha256 is None:
                problems.append(
                    f"{where}: was erased at event #{seal.seq} but is there again; "
                    "it was put back outside Safeguard"
                )
            elif any(field not in values for field in seal.fields) or (
                seal_hash(values, seal.fields) != seal.sha256
            ):
                problems.append(
                    f"{where}: does not match its seal (event #{seal.seq}); "
                    "it was changed outside Safeguard"
                )
        for (kind, pk), seal in sorted(seals.items()):
            if kind == label and seal.sha256 is not None:
                problems.append(
                    f"{name} #{pk} ({label}): sealed at event #{seal.seq} but missing; "
                    "it was deleted outside Safeguard"
                )
    return problems
