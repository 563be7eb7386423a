"""The child protection file as it travels: one PDF a person can read in any
PDF reader (a cover page, then the child's chronology) with ``records.json``
attached for a receiving Safeguard to import, the whole encrypted with AES-256
under a passphrase that travels separately.

Pure functions: what goes in is given, bytes come out (and back in).
"""

import datetime as dt
import io
import json
import secrets
from typing import Any

from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from children.models import Child
from common.pdf import STYLES, build_pdf, paragraphs
from common.pdf import text as _text
from common.uploads import EMBEDDED_FILES, pdf_active_content, pdf_limits
from incidents.models import Incident, Referral, SharingDecision
from incidents.pdf import MARKING, render_child_chronology_pdf
from incidents.timeline import TimelineItem

FORMAT = "safeguard.child-protection-file"
FORMAT_VERSION = 1
RECORDS_NAME = "records.json"

# Letters and digits nobody confuses when reading them out over the phone
# (no 0/O, 1/I/L); 24 of them carry about 119 bits.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_PASSPHRASE_GROUPS, _GROUP = 6, 4


class PackageError(Exception):
    """A file that cannot be opened as a package; ``field`` says which input is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def new_passphrase() -> str:
    """Six groups of four, to read out: ``K7QM-...``."""
    groups = [
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP)) for _ in range(_PASSPHRASE_GROUPS)
    ]
    return "-".join(groups)


def normalise_passphrase(value: str) -> str:
    """What the recipient typed, as the passphrase was shown: spaces and case do
    not matter, nor do the hyphens."""
    letters = "".join(value.split()).replace("-", "").upper()
    if len(letters) != _PASSPHRASE_GROUPS * _GROUP:
        return value.strip()  # not one of ours: tried as typed
    return "-".join(letters[i : i + _GROUP] for i in range(0, len(letters), _GROUP))


def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _timeline_item(item: TimelineItem) -> dict[str, Any]:
    return {
        "when": _utc(item.when),
        "source": item.source,
        "kind": item.kind,
        "text": item.text,
        "who": item.who,
        "recorded_at": _utc(item.recorded_at),
        "corrections": [_timeline_item(c) for c in item.corrections],
    }


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "reported_at": _utc(incident.reported_at),
        "reporter": incident.reporter.full_name,
        "occurred_at": _utc(incident.occurred_at),
        "disclosed_at": _utc(incident.disclosed_at),
        "category": incident.get_category_display() if incident.category else "",
        "type": incident.get_incident_type_display(),
        "platform": incident.platform,
        "what_happened": incident.what_happened,
        "childs_words": incident.childs_words,
        "immediate_action": incident.immediate_action,
        "online_identifiers": incident.online_identifiers,
        "initial_risk": incident.get_initial_risk_display(),
        "others_involved": incident.others_involved,
        "status": incident.get_status_display(),
        "risk": incident.get_risk_display(),
        "outcome": incident.outcome,
        "no_referral_rationale": incident.no_referral_rationale,
        "closed_at": _utc(incident.closed_at),
    }


def _referral(referral: Referral) -> dict[str, Any]:
    return {
        "incident": referral.incident.reference,
        "agency": referral.agency_name,
        "referred_on": _day(referral.referred_on),
        "reference": referral.reference,
        "contact": referral.contact,
        "family_consent": referral.get_family_consent_display() if referral.family_consent else "",
        "outcome": referral.outcome,
        "outcome_on": _day(referral.outcome_on),
        "made_by": referral.made_by.full_name,
    }


def _sharing(decision: SharingDecision) -> dict[str, Any]:
    return {
        "incident": decision.incident.reference,
        "decision": decision.get_decision_display(),
        "shared_with": decision.shared_with,
        "what": decision.what,
        "lawful_basis": decision.get_lawful_basis_display(),
        "special_category": decision.get_special_category_display()
        if decision.special_category
        else "",
        "reason": decision.reason,
        "consent": decision.get_consent_display(),
        "consent_note": decision.consent_note,
        "decided_at": _utc(decision.decided_at),
        "decided_by": decision.decided_by.full_name,
        "recorded_at": _utc(decision.recorded_at),
    }


def package_records(
    *,
    child: Child,
    items: list[TimelineItem],
    sender: dict[str, str],
    recipient: dict[str, str],
    left_on: dt.date,
    due_on: dt.date,
    made_at: dt.datetime,
) -> dict[str, Any]:
    """Everything the file says, as data a receiving system can import."""
    incidents = Incident.objects.filter(children=child).select_related("reporter").order_by("pk")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "made_at": _utc(made_at),
        "from": sender,
        "to": recipient,
        "left_on": _day(left_on),
        "due_on": _day(due_on),
        "child": {
            "first_name": child.first_name,
            "last_name": child.last_name,
            "preferred_name": child.preferred_name,
            "date_of_birth": _day(child.date_of_birth),
        },
        "incidents": [_incident(incident) for incident in incidents],
        "chronology": [_timeline_item(item) for item in items],
        "referrals": [
            _referral(r)
            for r in Referral.objects.filter(incident__in=incidents)
            .select_related("incident", "made_by")
            .order_by("referred_on", "pk")
        ],
        "sharing_decisions": [
            _sharing(d)
            for d in SharingDecision.objects.filter(incident__in=incidents)
            .select_related("incident", "decided_by")
            .order_by("decided_at", "pk")
        ],
    }


def _cover(records: dict[str, Any]) -> bytes:
    sender, recipient = records["from"], records["to"]
    child = records["child"]
    made_at = dt.datetime.fromisoformat(records["made_at"])
    lines = [
        f"Child: {child['first_name']} {child['last_name']}, born {child['date_of_birth']}",
        f"From: {sender['person']} ({sender['role']}), {sender['organisation']}",
        f"To: {recipient['person']} ({recipient['role']}), {recipient['setting']}",
        f"Left on: {records['left_on']}",
        f"Due by: {records['due_on']} (5 school days after the child left)",
        f"Made: {timezone.localtime(made_at):%-d %B %Y %H:%M}",
    ]
    story: list[Flowable] = [
        Paragraph(_text("Child protection file"), STYLES["Title"]),
        Paragraph(_text(MARKING), STYLES["Heading2"]),
    ]
    for line in lines:
        story += paragraphs(line)
    story += [
        Spacer(1, 6 * mm),
        *paragraphs(
            "Keep this file separately from the child's main school or service record, "
            "with access limited to the designated safeguarding lead and deputies. "
            "Confirm receipt to the sender using the link you were sent. The records in "
            f"this file are attached as {RECORDS_NAME} for systems that import them."
        ),
    ]
    return build_pdf("Child protection file", story, marking=MARKING, footer="Cover page")


def build_package(
    *,
    child: Child,
    items: list[TimelineItem],
    records: dict[str, Any],
    exported_by: str,
    passphrase: str,
) -> bytes:
    chronology = render_child_chronology_pdf(
        child=child,
        items=items,
        exported_by=exported_by,
        exported_at=dt.datetime.fromisoformat(records["made_at"]),
    )
    writer = PdfWriter()
    for part in (_cover(records), chronology):
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": "Child protection file", "/Subject": MARKING})
    writer.add_attachment(RECORDS_NAME, json.dumps(records, indent=2).encode())
    writer.encrypt(user_password=passphrase, owner_password=None, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def open_package(data: bytes, passphrase: str) -> dict[str, Any]:
    """The records of a package, or PackageError naming the input that is wrong."""
    not_ours = PackageError(
        "package",
        "This is not a child protection file from Safeguard: choose the PDF you were sent.",
    )
    if not data.startswith(b"%PDF"):
        raise not_ours
    # Read as any upload is (common.uploads): bounded, and refused if it carries
    # anything that runs. Its one attachment is what it is for.
    with pdf_limits():
        try:
            reader = PdfReader(io.BytesIO(data))
            if not reader.is_encrypted:
                raise not_ours
            if not reader.decrypt(normalise_passphrase(passphrase)):
                raise PackageError(
                    "passphrase",
                    "That passphrase does not open this file: check it with the sender.",
                )
            active = pdf_active_content(data, reader, allow=frozenset({EMBEDDED_FILES}))
            if active:
                raise PackageError(
                    "package",
                    f"The file contains {active}, which could run on the computer of whoever "
                    "opens it, so it cannot be imported. Ask the sender to send it again.",
                )
            attachments = reader.attachments
            attached = attachments.get(RECORDS_NAME) or []
        except PackageError:
            raise
        except Exception as error:  # pypdf raises many types for a damaged or hostile file
            raise not_ours from error
    if len(attached) != 1 or len(attachments) != 1:
        raise not_ours
    try:
        records = json.loads(attached[0])
    except (ValueError, UnicodeDecodeError) as error:
        raise not_ours from error
    if not isinstance(records, dict) or records.get("format") != FORMAT:
        raise not_ours
    if records.get("format_version") != FORMAT_VERSION:
        raise PackageError(
            "package", "This file was made by a newer Safeguard than this one can read."
        )
    if not _well_formed(records):
        raise not_ours
    return records


# The parts of a package's records the import and the child's page read, by the
# shape each must have: a file edited by hand is refused here, not stored to
# fail each time the child's page is shown (a received file is never changed).
_OBJECTS = ("child", "from")
_LISTS = ("incidents", "chronology", "referrals", "sharing_decisions")
_TEXTS = ("left_on", "due_on", "made_at")


def _well_formed(records: dict[str, Any]) -> bool:
    return (
        all(isinstance(records.get(key), dict) for key in _OBJECTS)
        and all(
            isinstance(records.get(key, []), list)
            and all(isinstance(row, dict) for row in records.get(key, []))
            for key in _LISTS
        )
        and all(isinstance(records.get(key, ""), str | None) for key in _TEXTS)
    )
