"""Subject access requests: recording one, its one-month deadline, and the
export of every record about the person.

The export finds records by walking the app registry, not from a list: every
model that refers to the child or guardian (or to a record that does, such as
an incident's chronology) is included, so a model added later cannot be
forgotten. Safeguarding records go in a separate folder marked for review,
because third parties' information in them must be redacted by a person
before anything is released.

The same holds field by field: a record that may be released (a contact log)
can carry something that reveals a safeguarding event (why a participant was
removed, which incident that opened). Such fields, and the address and browser
a person used, leave the release copy and go to the review folder with the
full record. Token hashes are credentials, not information about anyone: they
are in neither.
"""

import dataclasses
import datetime as dt
import io
import json
import zipfile
import zoneinfo
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Organisation, User
from audit import services as audit
from children.models import Child, Guardian
from common.registry import SUBJECT_ACCESS_SOURCES
from notices.engine import DueItem, local_midnight, stage_for
from notices.models import Notice
from records.models import SubjectAccessRequest
from records.permissions import RECORDS_MANAGERS

# Documents apps add to an export: fn(child=..., guardian=...) -> [(path, bytes)]
Documents = Callable[..., list[tuple[str, bytes]]]


@dataclass(frozen=True)
class Source:
    """What one app adds to a subject access export (from its retention.py)."""

    app_label: str
    documents: Documents | None = None
    # Its records are safeguarding records: reviewed and redacted before release.
    safeguarding: bool = False
    # Fields of its other records that reveal a safeguarding event (model label ->
    # field names): kept out of the release copy, shown in full for review.
    review_fields: Mapping[str, Collection[str]] = dataclasses.field(default_factory=dict)
    # Its rows the exporter may not read (an allegation about the exporter):
    # they leave the export without a trace, with every row found only through
    # them and every audit event or reminder that names them.
    hidden_rows: Callable[[User], models.QuerySet] | None = None


def _sources() -> list[Source]:
    sources = list(SUBJECT_ACCESS_SOURCES.items())
    if not sources:
        # Fail closed: without them, safeguarding records would leave unreviewed.
        raise ImproperlyConfigured("No subject access sources are registered.")
    return sources


def _safeguarding_apps() -> set[str]:
    return {source.app_label for source in _sources() if source.safeguarding}


REVIEW_FOLDER = "safeguarding-review-before-release"


def due_date(received_on: dt.date) -> dt.date:
    """One calendar month, counting the day of receipt: received on 3 September,
    due on 3 October; a month with no such day ends on its last day."""
    return received_on + relativedelta(months=1)


@transaction.atomic
def sar_record(
    *,
    organisation: Organisation,
    requester: str,
    received_on: dt.date,
    by: User,
    child: Child | None = None,
    guardian: Guardian | None = None,
    staff: User | None = None,
    notes: str = "",
) -> SubjectAccessRequest:
    subjects = [subject for subject in (child, guardian, staff) if subject is not None]
    if len(subjects) != 1:
        raise ValidationError(
            "Choose the child, the parent or carer, or the member of staff the request is about."
        )
    subject = subjects[0]
    if subject.organisation_id != organisation.pk:
        raise ValidationError("Choose someone of your own organisation.")
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The date received cannot be in the future."})
    if not requester.strip():
        raise ValidationError({"requester": "Say who asked."})
    sar = SubjectAccessRequest.objects.create(
        organisation=organisation,
        requester=requester,
        child=child,
        guardian=guardian,
        staff=staff,
        received_on=received_on,
        due_on=due_date(received_on),
        notes=notes,
        recorded_by=by,
    )
    audit.record(
        action="sar.recorded",
        actor=by,
        obj=sar,
        details={"due_on": str(sar.due_on)},
    )
    return sar


@transaction.atomic
def sar_complete(*, sar: SubjectAccessRequest, by: User) -> SubjectAccessRequest:
    if sar.completed_at is not None:
        raise ValidationError("This request is complete already.")
    sar.completed_at, sar.completed_by = timezone.now(), by
    sar.save()
    audit.record(action="sar.completed", actor=by, obj=sar)
    return sar


def sar_handlers(organisation: Organisation) -> list[User]:
    return list(User.objects.of(organisation).active().filter(role__in=RECORDS_MANAGERS))


def sars_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """A week and a day before the deadline, on the day, then weekly until done."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    handlers = sar_handlers(organisation)
    waiting = SubjectAccessRequest.objects.filter(
        organisation=organisation, completed_at__isnull=True
    )
    for sar in waiting:
        due_at = local_midnight(sar.due_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=(7, 1))
        if stage is None:
            continue
        yield DueItem(
            kind="sar.deadline",
            obj=sar,
            stage=stage,
            recipients=handlers,
            due_at=due_at,
            title=f"Subject access request #{sar.pk} is due on {sar.due_on:%-d %B %Y}",
            url=reverse("sar_detail", args=[sar.pk]),
        )


# --- the export ----------------------------------------------------------------------------


def _is_permission_table(model: type[models.Model]) -> bool:
    """django-guardian's object permission rows say who may open a record, not
    anything about the person: access control, not their data."""
    return issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase)


def subject_models() -> list[type[models.Model]]:
    """Every model whose rows can be about a child or guardian, in a stable order."""
    return sorted(
        (m for m in apps.get_models() if not _is_permission_table(m)),
        key=lambda m: m._meta.label_lower,
    )


def _links(model: type[models.Model]) -> Iterator[tuple[str, type[models.Model]]]:
    """(lookup, model it points at) for every way a row of ``model`` can refer to
    another row: foreign keys, one-to-ones, many-to-manys and, for history
    tables, the row whose history it is."""
    for field in model._meta.get_fields():
        if (
            field.is_relation
            and field.concrete
            and isinstance(field.related_model, type)  # not None, nor an unresolved "self"
            and (field.many_to_one or field.one_to_one or field.many_to_many)
        ):
            yield f"{field.name}__in", field.related_model
    instance_type = getattr(model, "instance_type", None)  # simple-history
    if instance_type is not None:
        yield f"{instance_type._meta.pk.attname}__in", instance_type


def _hidden_from(exporter: User) -> dict[type[models.Model], set[object]]:
    """The rows each app says the exporter may not read (Source.hidden_rows)."""
    hidden: dict[type[models.Model], set[object]] = {}
    for source in _sources():
        if source.hidden_rows is not None:
            rows = source.hidden_rows(exporter)
            hidden.setdefault(rows.model, set()).update(rows.values_list("pk", flat=True))
    return hidden


def _names_hidden(model: type[models.Model], hidden: Mapping[type[models.Model], set[object]]) -> Q:
    """Rows that name a hidden row by type and id rather than by foreign key:
    an audit event about it, a reminder ledger row (and the notices of one)."""
    names = {field.name for field in model._meta.concrete_fields}
    query = Q()
    for target, pks in hidden.items():
        if not pks:
            continue
        about = Q(object_type=target._meta.label_lower, object_id__in=[str(pk) for pk in pks])
        if {"object_type", "object_id"} <= names:
            query |= about
        for field in model._meta.concrete_fields:
            related = field.related_model if field.is_relation else None
            if isinstance(related, type) and {"object_type", "object_id"} <= {
                f.name for f in related._meta.concrete_fields
            }:
                query |= Q(
                    **{
                        f"{field.name}__object_type": target._meta.label_lower,
                        f"{field.name}__object_id__in": [str(pk) for pk in pks],
                    }
                )
    return query


def collect(
    *,
    exporter: User,
    child: Child | None = None,
    guardian: Guardian | None = None,
    staff: User | None = None,
) -> dict[type[models.Model], list[models.Model]]:
    """Every row about the person: rows that refer to them, then rows that refer
    to those (an incident's chronology), until nothing new is found. For a
    member of staff, only the rows that refer to them directly (collect_for_staff).
    Never a row the exporter may not read (Source.hidden_rows), nor one found
    only through such a row or naming it."""
    if staff is not None:
        return collect_for_staff(staff)
    start = child or guardian
    if start is None:
        raise TypeError("collect() needs a child, a guardian or a member of staff")
    hidden = _hidden_from(exporter)
    found: dict[type[models.Model], dict[object, models.Model]] = {type(start): {start.pk: start}}
    for _ in range(6):
        grew = False
        for model in subject_models():
            query = Q()
            for lookup, target in _links(model):
                if target in found and not (model is target and lookup.startswith("id")):
                    query |= Q(**{lookup: list(found[target])})
            if not query:
                continue
            rows = found.setdefault(model, {})
            unseen = hidden.get(model, set())
            for row in model._base_manager.filter(query).exclude(_names_hidden(model, hidden)):
                if row.pk not in rows and row.pk not in unseen:
                    rows[row.pk] = row
                    grew = True
        if not grew:
            break
    return {model: list(rows.values()) for model, rows in found.items() if rows}


# Apps whose rows never go in a member of staff's own export, with the prefix
# of their audit actions. Allegations and low-level concerns about staff are
# answered by the allegation process itself (KCSIE): the case manager, advised
# by the LADO, decides what the person is told and when, and a subject access
# export must not tell them first, nor tell them that one exists.
STAFF_EXPORT_EXCLUDED_APPS = {"allegations": "allegation."}


def _excluded_for_staff(model: type[models.Model]) -> bool:
    return _record_model(model)._meta.app_label in STAFF_EXPORT_EXCLUDED_APPS


def _points_into_excluded(model: type[models.Model]) -> Q:
    """Rows of other apps that point at an excluded app's rows by name rather
    than by foreign key: an audit event about an allegation, a reminder (and
    its notice and email) about one."""
    names = {field.name for field in model._meta.concrete_fields}
    excluded = Q()
    for app_label, action_prefix in STAFF_EXPORT_EXCLUDED_APPS.items():
        object_prefix = f"{app_label}."
        if "object_type" in names:
            excluded |= Q(object_type__startswith=object_prefix)
            if "action" in names:
                excluded |= Q(action__startswith=action_prefix)
        for field in model._meta.concrete_fields:
            related = field.related_model if field.is_relation else None
            if isinstance(related, type) and "object_type" in {
                f.name for f in related._meta.concrete_fields
            }:
                excluded |= Q(**{f"{field.name}__object_type__startswith": object_prefix})
        for virtual in model._meta.private_fields:
            if isinstance(virtual, GenericForeignKey):
                excluded |= Q(**{f"{virtual.ct_field}__app_label": app_label})
                excluded |= _purpose_excluded(virtual, object_prefix)
    return excluded


def _purpose_excluded(virtual: GenericForeignKey, object_prefix: str) -> Q:
    """An email whose purpose is a notice of a reminder about an excluded row."""
    notices = Notice.objects.filter(ledger__object_type__startswith=object_prefix)
    return Q(
        **{
            virtual.ct_field: ContentType.objects.get_for_model(Notice),
            f"{virtual.fk_field}__in": [str(pk) for pk in notices.values_list("pk", flat=True)],
        }
    )


def collect_for_staff(staff: User) -> dict[type[models.Model], list[models.Model]]:
    """The rows that refer to the member of staff directly: one hop, every model
    with a foreign key or many-to-many to them (and their own account and its
    history). Not the rows those refer to in turn: an incident they reported is
    theirs to see as its reporter, the chronology the DSL kept of it is not
    about them. Never a row of STAFF_EXPORT_EXCLUDED_APPS, nor a row pointing
    at one by name."""
    found: dict[type[models.Model], dict[object, models.Model]] = {User: {staff.pk: staff}}
    for model in subject_models():
        if _excluded_for_staff(model):
            continue
        query = Q()
        for lookup, target in _links(model):
            if target is User and not (model is User and lookup.startswith("id")):
                query |= Q(**{lookup: [staff.pk]})
        if not query:
            continue
        rows = found.setdefault(model, {})
        for row in model._base_manager.filter(query).exclude(_points_into_excluded(model)):
            rows.setdefault(row.pk, row)
    return {model: list(rows.values()) for model, rows in found.items() if rows}


# How the organisation handles records (holds, retention reviews, other access
# requests): they can name an investigation or another person, so they go with
# the safeguarding records for a person to review.
_INTERNAL = {"records.legalhold", "records.retentionreview", "records.subjectaccessrequest"}


def _is_safeguarding(model: type[models.Model]) -> bool:
    history_of = getattr(model, "instance_type", None)
    for candidate in (model, history_of):
        if candidate is not None and (
            candidate._meta.app_label in _safeguarding_apps()
            or candidate._meta.label_lower in _INTERNAL
        ):
            return True
    return False


def _record_model(model: type[models.Model]) -> type[models.Model]:
    """The model whose rules apply: a history table follows the record it keeps."""
    return getattr(model, "instance_type", None) or model


# A member of staff's password hash and second-factor secrets.
_CREDENTIALS = frozenset(
    {"password", "key", "secret", "public_key", "credential_id", "session_key"}
)


def _is_credential(field: models.Field) -> bool:
    """A link's token hash, a password hash, an authenticator's secret: each is
    a credential and tells the person nothing, so no copy carries it."""
    return "token" in field.name or field.name in _CREDENTIALS


def _is_review_field(model: type[models.Model], field: models.Field) -> bool:
    """A field that may not go out without a person's review, though its record may.

    Declared by the app that owns the model (Source.review_fields), with a safety
    net for a field added later: a link to a safeguarding record, a field that
    names an incident, and the address and browser someone used (theirs or a
    third party's, and evidence of where they were).
    """
    record = _record_model(model)
    declared = {
        name
        for source in _sources()
        for name in source.review_fields.get(record._meta.label_lower, ())
    }
    related = field.related_model if field.is_relation else None
    return (
        field.name in declared
        or "incident" in field.name
        or isinstance(field, models.GenericIPAddressField)
        or field.name == "user_agent"
        or (isinstance(related, type) and related._meta.app_label in _safeguarding_apps())
    )


@dataclass(frozen=True)
class _Split:
    """Which of a model's fields each copy of its rows carries."""

    release: list[str]
    review: list[str]
    withheld: list[str]


def _split(model: type[models.Model]) -> _Split:
    concrete = (model._meta.concrete_model or model)._meta
    fields: list[models.Field] = [
        f for f in [*concrete.local_fields, *concrete.local_many_to_many] if not f.primary_key
    ]
    withheld = [f.name for f in fields if _is_credential(f)]
    kept = [f for f in fields if f.name not in withheld]
    review = [f.name for f in kept if _is_review_field(model, f)]
    return _Split(
        release=[f.name for f in kept if f.name not in review],
        review=review,
        withheld=withheld,
    )


def export_zip(sar: SubjectAccessRequest, *, include_safeguarding: bool, exporter: User) -> bytes:
    """A ZIP of every record about the subject: JSON per kind of record, the
    documents apps add (receipts, summaries), and safeguarding records apart.
    Without ``include_safeguarding`` (someone who may not read them exported
    it) the safeguarding records are left out and the README says so. Rows the
    exporter may not read at all (an allegation about them) are not even counted."""
    records = collect(exporter=exporter, child=sar.child, guardian=sar.guardian, staff=sar.staff)
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for model, rows in sorted(records.items(), key=lambda item: item[0]._meta.label_lower):
            review = _is_safeguarding(model)
            if review and not include_safeguarding:
                index.append(
                    {
                        "model": model._meta.label_lower,
                        "rows": len(rows),
                        "file": None,
                        "left_out": True,
                    }
                )
                continue
            label = model._meta.label_lower
            split = _split(model)
            entry: dict[str, object] = {"model": label, "rows": len(rows)}
            if review:
                folder = REVIEW_FOLDER
                entry |= {"file": f"{folder}/{label}.json", "review_before_release": True}
                full = split.release + split.review
                archive.writestr(str(entry["file"]), _serialize(rows, full))
            else:
                folder = "records"
                entry |= {"file": f"{folder}/{label}.json", "review_before_release": False}
                archive.writestr(str(entry["file"]), _serialize(rows, split.release))
                if split.review:
                    # Every row, in full, so the reviewer sees each field in its record.
                    entry["fields_for_review"] = split.review
                    if include_safeguarding:
                        entry["review_file"] = f"{REVIEW_FOLDER}/{label}.json"
                        full = split.release + split.review
                        archive.writestr(str(entry["review_file"]), _serialize(rows, full))
                    else:
                        entry["fields_left_out"] = True
            if split.withheld:
                entry["withheld"] = split.withheld
            index.append(entry)
            for row in rows:
                for field in model._meta.fields:
                    if isinstance(field, models.FileField) and getattr(row, field.name):
                        stored = getattr(row, field.name)
                        withheld = getattr(row, "file_withheld_because", "")
                        if withheld:
                            # Recorded in the export; the file itself is not copied.
                            archive.writestr(f"{folder}/files/{stored.name}.withheld.txt", withheld)
                            continue
                        try:
                            with stored.open("rb") as handle:
                                archive.writestr(f"{folder}/files/{stored.name}", handle.read())
                        except FileNotFoundError:
                            note = "This file is recorded but could not be found."
                            archive.writestr(f"{folder}/files/{stored.name}.missing.txt", note)
        for source in SUBJECT_ACCESS_SOURCES.items():
            # Documents (consent summaries, a chronology) are about a child or guardian.
            if source.documents is None or sar.staff_id is not None:
                continue
            for path, content in source.documents(child=sar.child, guardian=sar.guardian):
                if source.safeguarding and not include_safeguarding:
                    continue
                folder = REVIEW_FOLDER if source.safeguarding else "documents"
                archive.writestr(f"{folder}/{path}", content)
        archive.writestr(
            "index.json",
            json.dumps(
                {
                    "request": sar.pk,
                    "subject": sar.subject,
                    "received_on": str(sar.received_on),
                    "exported_at": timezone.now().isoformat(),
                    "records": index,
                },
                indent=2,
            ),
        )
        readme = README.format(folder=REVIEW_FOLDER, subject=sar.subject)
        if sar.staff_id is not None:
            readme += STAFF
        archive.writestr(
            "README.txt",
            readme
            if include_safeguarding
            else readme + LEFT_OUT.format(lead=sar.organisation.titles.short),
        )
    return buffer.getvalue()


def _serialize(rows: list[models.Model], fields: list[str]) -> str:
    return serializers.serialize("json", rows, indent=2, fields=fields)


README = """Subject access export: records about {subject}

records/ and documents/ hold every record Safeguard keeps about this person,
as JSON (one file per kind of record) and PDFs. Check them for other people's
details (another parent's answers, say) before release.

Left out of records/ and documents/: anything that reveals a safeguarding
event (why a participant was removed from a session, a reason given for a
contact without consent, an incident's reference) and the address and browser
someone used. index.json names these fields for each kind of record
("fields_for_review"). Link token hashes are security credentials, not
information about the person, and are in no folder ("withheld").

{folder}/ holds safeguarding records (incidents, their chronology, referrals
and evidence), the full copy of every record that had fields left out of
records/, and how the organisation handled the records (legal holds, retention
reviews, access requests). They may name other people or an investigation. A
person must review them and redact third parties' information before anything
in that folder is released.

index.json and this README are for the person handling the request.
"""

STAFF = """
For a member of staff: the records that refer to them directly (their
account, training and checks, what they recorded or were sent), not the
records those lead to. Allegations and low-level concerns about staff are not
in this export: the allegation process, advised by the LADO, decides what the
person is told about any allegation, so none is included here, nor any
reminder or audit event about one.
"""

LEFT_OUT = """
This export was made by someone who may not read safeguarding records, so
that folder is not included. The {lead} or a deputy can make the complete export.
"""
