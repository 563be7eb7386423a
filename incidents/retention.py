"""Child protection records (an incident with its chronology, referrals and
evidence) are kept until the youngest child involved turns 25; what a
reviewer's decision does to them (see records.retention)."""

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta
from django.utils.translation import ngettext

from accounts.models import Organisation
from audit.seals import reseal
from children.models import Child, Guardian
from common.registry import RECORD_KINDS, SUBJECT_ACCESS_SOURCES
from incidents.models import ChronologyEntry, Evidence, Incident, Referral
from records.retention import ANONYMISED, Due, RecordKind, delete_file_after_commit, object_locator
from records.subject_access import Source

INCIDENT_TEXT = [
    "others_involved",
    "platform",
    "what_happened",
    "childs_words",
    "immediate_action",
    "online_identifiers",
    "triage_decision",
    "next_action",
    "outcome",
    "no_referral_rationale",
    "parents_not_informed_reason",
    "ico_reason",
]


def _keep_until(incident: Incident, months: int) -> dt.date:
    """Months from the date of birth of the youngest child involved (300: their
    25th birthday); with no child recorded, from the report."""
    births = [child.date_of_birth for child in incident.children.all()]
    start = max(births) if births else incident.reported_at.date()
    return start + relativedelta(months=months)


def _incidents_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    for incident in Incident.objects.filter(organisation=organisation).prefetch_related("children"):
        due_on = _keep_until(incident, months)
        if due_on <= today:
            children = list(incident.children.all())
            yield Due(
                obj=incident,
                due_on=due_on,
                child=children[0] if children else None,
                description=f"Incident {incident.reference} "
                f"({incident.get_incident_type_display().lower()}, reported "
                f"{incident.reported_at:%b %Y}) with its chronology, referrals and evidence",
            )


def _anonymise(incident: Incident) -> None:
    """Names, words and files go; the kind, risk, dates and outcome category stay
    for the statistics."""
    blank = {field: ANONYMISED for field in INCIDENT_TEXT if getattr(incident, field)}
    for field, value in blank.items():
        setattr(incident, field, value)
    incident.save(update_fields=list(blank))
    incident.history.filter().update(**dict.fromkeys(INCIDENT_TEXT, ANONYMISED))
    incident.children.clear()
    entries = ChronologyEntry.objects.filter(incident=incident)
    entries.update(text=ANONYMISED)
    reseal(entries)  # a bulk update sends no signal to seal them again
    referrals = Referral.objects.filter(incident=incident)
    for referral in referrals:
        referral.history.filter().update(reference="", contact="", outcome=ANONYMISED)
    referrals.update(reference="", contact="", agency_other="", outcome=ANONYMISED)
    _delete_evidence(incident)


def _delete_evidence(incident: Incident) -> int:
    files = list(Evidence.objects.filter(incident=incident))
    for evidence in files:
        delete_file_after_commit(evidence.file)
        evidence.delete()
    return len(files)


def _delete(incident: Incident) -> str:
    files = _delete_evidence(incident)
    entries = ChronologyEntry.objects.filter(incident=incident)
    count = entries.count()
    # Corrections point at what they correct: remove them before their originals.
    while entries.exists():
        entries.exclude(pk__in=entries.filter(corrects__isnull=False).values("corrects")).delete()
    referrals = Referral.objects.filter(incident=incident)
    referral_ids = list(referrals.values_list("pk", flat=True))
    referrals.delete()
    what = (
        f"incident {incident.reference} with "
        + ngettext("%(n)d chronology entry", "%(n)d chronology entries", count) % {"n": count}
        + ", "
        + ngettext("%(n)d referral", "%(n)d referrals", len(referral_ids))
        % {"n": len(referral_ids)}
        + " and "
        + ngettext("%(n)d file", "%(n)d files", files) % {"n": files}
    )
    incident_id = incident.pk
    incident.children.clear()
    incident.delete()
    # Last: deleting writes a final history row holding every field, so the
    # history goes after the rows themselves, or it would keep what they said.
    Referral.history.filter(id__in=referral_ids).delete()
    Incident.history.filter(id=incident_id).delete()
    return what


def _subjects(incident: Incident) -> tuple[list[int], int | None]:
    return list(incident.children.values_list("pk", flat=True)), incident.pk


INCIDENTS = RecordKind(
    code="incidents",
    label="Child protection records",
    basis="Incidents, their chronology and referrals are kept until the youngest child "
    "involved is 25, as safeguarding guidance expects, and never while an inquiry may need them.",
    period="from the youngest child's date of birth",
    default_months=300,
    safeguarding=True,
    due=_incidents_due,
    anonymise=_anonymise,
    delete=_delete,
    locate=object_locator(Incident),
    subjects=_subjects,
)


def subject_access_documents(
    *, child: Child | None = None, guardian: Guardian | None = None
) -> list[tuple[str, bytes]]:
    """For a subject access export about a child: their chronology as a PDF."""
    if child is None:
        return []
    from django.utils import timezone

    from incidents.pdf import render_child_chronology_pdf
    from incidents.timeline import child_timeline

    items = child_timeline(child)
    if not items:
        return []
    return [
        (
            "chronology.pdf",
            render_child_chronology_pdf(
                child=child,
                items=items,
                exported_by="Safeguard, for a subject access request",
                exported_at=timezone.now(),
            ),
        )
    ]


RECORD_KINDS.register(INCIDENTS)
SUBJECT_ACCESS_SOURCES.register(
    Source("incidents", documents=subject_access_documents, safeguarding=True)
)
