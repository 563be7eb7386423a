"""One timeline per child, for the DSL: the chronology of every incident the
child is part of, with the consent decisions and contacts logged for them, and
their child protection file sent on or received."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from children.models import Child, ChildFlag
from consent.services import child_consent_history
from incidents.models import ChronologyEntry, Incident
from incidents.transfer_models import FileTransfer, ReceivedFile
from practice.contact_log import child_contact_history
from practice.models import ContactLog, With
from supervision.selectors import child_supervision_history


@dataclass
class TimelineItem:
    when: dt.datetime
    source: str
    kind: str
    text: str
    who: str
    recorded_at: dt.datetime
    corrections: list["TimelineItem"] = field(default_factory=list)


def _entry_item(entry: ChronologyEntry) -> TimelineItem:
    return TimelineItem(
        when=entry.happened_at,
        source=f"Incident {entry.incident.reference}",
        kind=entry.get_kind_display(),
        text=entry.text,
        who=entry.author.full_name,
        recorded_at=entry.recorded_at,
    )


def contact_text(contact: ContactLog) -> str:
    """A logged contact as a reader of the chronology needs it: with whom, what
    it broke and why it went ahead, each on its own line."""
    if contact.with_whom == With.PARENT:
        parent = contact.guardian.full_name if contact.guardian else "a parent or carer"
        first = f"{contact.get_channel_display()} with {parent} (parent or carer)"
    else:
        consent = (
            "consent in place"
            if contact.consent_allowed
            else f"consent not in place: {contact.consent_reason}"
        )
        first = f"{contact.get_channel_display()} with the child ({consent})"
    if contact.platform:
        first += f" on {contact.platform}"
    lines = [first + "."]
    if contact.parent_present is not None:
        lines.append(f"{contact.parent_present.full_name} was close by.")
    if contact.unsolicited:
        lines.append("Unsolicited: the child made contact.")
    if contact.camera_refused:
        lines.append("The child would not switch the camera on.")
    lines += [f"Broke: {message}" for message in contact.breach_messages]
    if contact.override_reason:
        lines.append(f"Went ahead because: {contact.override_reason}")
    return "\n".join(lines)


def child_timeline(child: Child) -> list[TimelineItem]:
    """Oldest first. A correction sits under the entry it corrects, never in
    place of it, so a reader sees what was first written and what changed."""
    entries = list(
        ChronologyEntry.objects.filter(incident__children=child)
        .select_related("incident", "author")
        .order_by("happened_at", "recorded_at", "pk")
        .distinct()
    )
    by_pk = {entry.pk: _entry_item(entry) for entry in entries}
    items = []
    for entry in entries:
        if entry.corrects_id is not None and entry.corrects_id in by_pk:
            by_pk[entry.corrects_id].corrections.append(by_pk[entry.pk])
        else:
            items.append(by_pk[entry.pk])
    for incident in Incident.objects.filter(children=child).select_related("reporter"):
        items.append(
            TimelineItem(
                when=incident.occurred_at,
                source=f"Incident {incident.reference}",
                kind="What happened, as reported",
                text=f"{incident.get_incident_type_display()}: {incident.what_happened}",
                who=incident.reporter.full_name,
                recorded_at=incident.reported_at,
            )
        )
    records = child_consent_history(child=child)
    contacts = child_contact_history(child=child)
    for record in records:
        items.append(
            TimelineItem(
                when=record.recorded_at,
                source="Consent",
                kind=record.get_decision_display(),
                text=f"{record.get_decision_display()}: {record.consent_type.name}, by "
                f"{record.guardian.full_name} ({record.get_method_display()})",
                who=record.recorded_by.full_name if record.recorded_by else record.typed_name,
                recorded_at=record.recorded_at,
            )
        )
    for contact in contacts:
        items.append(
            TimelineItem(
                when=contact.happened_at,
                source="Contact",
                kind=contact.get_channel_display()
                + (" (broke a practice rule)" if contact.breaches else ""),
                text=contact_text(contact),
                who=contact.staff.full_name,
                recorded_at=contact.created_at,
            )
        )
    # Only what was said about this child: never the session's other children or notes.
    for discussion in child_supervision_history(child=child):
        items.append(
            TimelineItem(
                when=discussion.session.held_at,
                source="Supervision",
                kind="Discussed in supervision",
                text=discussion.timeline_text,
                who=discussion.session.supervisor.full_name,
                recorded_at=discussion.session.recorded_at,
            )
        )
    items += _transfer_items(child)
    items += _flag_items(child)
    return sorted(items, key=lambda item: (item.when, item.recorded_at))


def _flag_items(child: Child) -> list[TimelineItem]:
    """A flag's start and its end (a plan, looked after, SEND), each on its own day."""
    items = []
    for flag in ChildFlag.objects.filter(child=child).select_related("recorded_by", "ended_by"):
        label = flag.get_kind_display()
        changes = [(flag.started_on, "started", flag.recorded_by)]
        if flag.ended_on is not None:
            changes.append((flag.ended_on, "ended", flag.ended_by or flag.recorded_by))
        for day, what, who in changes:
            items.append(
                TimelineItem(
                    when=timezone.make_aware(dt.datetime.combine(day, dt.time.min)),
                    source="Flags",
                    kind=f"Flag {what}",
                    text=f"Flag: {label} {what}" + (f". {flag.note}" if flag.note else ""),
                    who=who.full_name,
                    recorded_at=flag.recorded_at,
                )
            )
    return items


def _transfer_items(child: Child) -> list[TimelineItem]:
    """The file's journey, as lines of the chronology: sent, receipt confirmed,
    and (for a child who joined) received from the last setting."""
    items = []
    for transfer in FileTransfer.objects.filter(child=child).select_related("created_by"):
        items.append(
            TimelineItem(
                when=transfer.created_at,
                source="Child protection file",
                kind="Sent",
                text=f"Child protection file sent to {transfer.recipient_name} "
                f"({transfer.recipient_role}), {transfer.recipient_setting}; due by "
                f"{transfer.due_on:%-d %B %Y}.",
                who=transfer.created_by.full_name,
                recorded_at=transfer.created_at,
            )
        )
        if transfer.received_at is not None:
            text = f"Receipt confirmed by {transfer.received_by_name}"
            text += f" ({transfer.received_by_role})" if transfer.received_by_role else ""
            text += f", {transfer.received_setting}." if transfer.received_setting else "."
            if transfer.receipt_note:
                text += f"\n{transfer.receipt_note}"
            items.append(
                TimelineItem(
                    when=transfer.received_at,
                    source="Child protection file",
                    kind="Receipt confirmed",
                    text=text,
                    who=transfer.received_by_name,
                    recorded_at=transfer.received_at,
                )
            )
    for received in ReceivedFile.objects.filter(child=child).select_related("imported_by"):
        items.append(
            TimelineItem(
                when=received.imported_at,
                source="Child protection file",
                kind="Received",
                text=f"Child protection file received from {received.from_organisation} "
                f"({len(received.records.get('chronology') or [])} chronology entries); "
                "shown on the child's page as sent.",
                who=received.imported_by.full_name,
                recorded_at=received.imported_at,
            )
        )
    return items
