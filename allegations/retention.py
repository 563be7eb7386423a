"""How long an allegation or low-level concern about staff is kept, and what a
reviewer's decision does to it (see records.retention).

KCSIE: an allegation is kept until the person's normal retirement age or for
ten years from the allegation, whichever is longer; a malicious or false one is
removed from personnel records; a low-level concern at least until the person
leaves. The rule system counts months from one date, and we do not hold staff
dates of birth, so the default is ten years from closure (never while open):
a reviewer then checks retirement age and, for a malicious or false allegation,
that it has already left the personnel file, and keeps the record longer where
needed. An open allegation is never due.
"""

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet

from accounts.models import Organisation, User
from allegations.models import Allegation, AllegationEntry, Kind
from allegations.permissions import allegations_visible_to
from audit.seals import reseal
from common.registry import RECORD_KINDS, SUBJECT_ACCESS_SOURCES
from common.times import zone_named
from records.retention import ANONYMISED, Due, RecordKind, object_locator
from records.subject_access import Source

_KIND_NAMES: dict[str, str] = {Kind.ALLEGATION: "Allegation", Kind.LOW_LEVEL: "Low-level concern"}
TEXT = ["what_was_alleged", "lado_reference", "lado_advice", "outcome_rationale"]


def _allegations_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    # Dates as the organisation reads them: closed late on 31 December in
    # London is closed that year, whatever the UTC date.
    tz = zone_named(organisation.timezone)
    closed = Allegation.objects.filter(organisation=organisation, closed_at__isnull=False)
    for allegation in closed:
        if allegation.closed_at is None:  # the query excludes it
            continue
        closed_at = allegation.closed_at.astimezone(tz)
        due_on = closed_at.date() + relativedelta(months=months)
        if due_on <= today:
            yield Due(
                obj=allegation,
                due_on=due_on,
                # What it is, never who it is about: the review outlives the record.
                description=f"{_KIND_NAMES[allegation.kind]} about a member of staff, "
                f"{allegation.reference} (closed {closed_at:%b %Y}), with its log",
            )


def _anonymise(allegation: Allegation) -> None:
    """What was said and by whom goes; the kind, dates and outcome stay for the figures."""
    blank = {field: ANONYMISED for field in TEXT if getattr(allegation, field)}
    for field, value in blank.items():
        setattr(allegation, field, value)
    allegation.save(update_fields=list(blank))
    allegation.history.filter().update(
        **{field: ANONYMISED for field in TEXT if field != "what_was_alleged"}
    )
    allegation.children.clear()
    entries = AllegationEntry.objects.filter(allegation=allegation)
    entries.update(text=ANONYMISED)
    reseal(entries)  # a bulk update sends no signal to seal them again


def _delete(allegation: Allegation) -> str:
    entries = AllegationEntry.objects.filter(allegation=allegation)
    count = entries.count()
    entries.delete()
    what = f"{allegation.reference} with {count} log entries"
    allegation_id = allegation.pk
    allegation.children.clear()
    allegation.delete()
    # Last: deleting writes a final history row holding every field.
    Allegation.history.filter(id=allegation_id).delete()
    return what


def _hidden_from(user: User, allegation: Allegation) -> bool:
    """Its retention review is never shown to, nor decided by, the person it is about."""
    return allegation.about_id == user.pk


def _hidden_rows(exporter: User) -> QuerySet[Allegation]:
    """What a subject access export leaves out without a trace: every allegation
    the exporter may not read (one about them; all, for someone not a lead)."""
    return Allegation.objects.exclude(pk__in=allegations_visible_to(exporter).values("pk"))


def _subjects(allegation: Allegation) -> tuple[list[int], int | None]:
    return list(allegation.children.values_list("pk", flat=True)), None


ALLEGATIONS = RecordKind(
    code="allegations",
    label="Allegations and low-level concerns about staff",
    basis="KCSIE keeps an allegation until the person's normal retirement age or for ten "
    "years, whichever is longer, and a low-level concern at least until the person leaves; "
    "we hold no staff dates of birth, so each is reviewed ten years after it was closed, "
    "when the reviewer checks retirement age (and that a malicious or false allegation has "
    "already left the personnel file) and keeps it longer where needed.",
    period="from closure",
    default_months=120,
    safeguarding=True,
    due=_allegations_due,
    anonymise=_anonymise,
    delete=_delete,
    locate=object_locator(Allegation),
    subjects=_subjects,
    hidden_from=_hidden_from,
)

RECORD_KINDS.register(ALLEGATIONS)
# A child named in an allegation: the allegation and its log go to the review
# folder of the child's export. A member of staff's own export never holds any
# of this app's rows (records.subject_access.collect_for_staff): the allegation
# process decides what they are told.
# An allegation the exporter may not read leaves a child's export without a trace.
SUBJECT_ACCESS_SOURCES.register(Source("allegations", safeguarding=True, hidden_rows=_hidden_rows))
