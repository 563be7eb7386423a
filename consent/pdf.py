"""The parent's receipt: everything shown, every answer, the evidence, and its hash."""

from collections.abc import Sequence

from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from children.models import Child
from common.pdf import STYLES, build_pdf, paragraphs, table
from common.pdf import text as escape
from common.times import local_time
from consent.models import ConsentRecord
from policies.models import PolicyVersion


def render_receipt_pdf(
    records: list[ConsentRecord],
    *,
    show_address: bool = True,
    policies: Sequence[PolicyVersion] = (),
) -> bytes:
    """``show_address`` False for a copy that may go to someone else (a subject
    access export): the address the parent signed from is theirs alone."""
    first = records[0]
    when = local_time(first.recorded_at, first.organisation.timezone, "%-d %B %Y at %H:%M")
    rows = [["Consent", "Your answer", "Valid until"]] + [
        [
            r.consent_type.name,
            r.get_decision_display(),
            r.valid_until.strftime("%-d %b %Y") if r.valid_until else "-",
        ]
        for r in records
    ]
    story: list[Flowable] = [
        Paragraph("Consent receipt", STYLES["Title"]),
        Paragraph(
            escape(f"{first.organisation.name}, for {first.child.display_name}"), STYLES["Heading2"]
        ),
        Paragraph(
            escape(f"Signed by {first.typed_name} ({first.relationship}) on {when}."),
            STYLES["BodyText"],
        ),
        Spacer(1, 5 * mm),
        table(rows, col_widths=[85 * mm, 40 * mm, 40 * mm]),
        Spacer(1, 5 * mm),
        Paragraph("What you were shown", STYLES["Heading3"]),
    ]
    for record in records:
        story.append(Paragraph(f"<b>{escape(record.consent_type.name)}</b>", STYLES["BodyText"]))
        story += paragraphs(record.type_version.explanation)
    if policies:
        story += [
            Spacer(1, 5 * mm),
            Paragraph("Policies you read and agreed to", STYLES["Heading3"]),
            table(
                [["Policy", "Version", "SHA-256 (start)"]]
                + [[v.policy.title, v.label, v.content_sha256[:12]] for v in policies],
                col_widths=[95 * mm, 30 * mm, 40 * mm],
            ),
        ]
    story += [
        Spacer(1, 5 * mm),
        Paragraph("Evidence", STYLES["Heading3"]),
        Paragraph(escape(f"Time (UTC): {first.recorded_at.isoformat()}"), STYLES["BodyText"]),
        Paragraph(
            escape(
                f"Address: {first.ip_address or 'not known'}"
                if show_address
                else "Address: left out of this copy"
            ),
            STYLES["BodyText"],
        ),
        Paragraph(escape(f"Request reference: {first.request_sha256}"), STYLES["Code"]),
        Paragraph(escape(f"Receipt SHA-256: {first.receipt_sha256}"), STYLES["Code"]),
        Paragraph(
            "You can withdraw any consent at any time from the link in your email.",
            STYLES["BodyText"],
        ),
    ]
    return build_pdf("Consent receipt", story)


def render_child_summary_pdf(child: Child, matrix: list, history: list[ConsentRecord]) -> bytes:
    """A child's consent now (the matrix) and every record behind it (the history)."""
    today = timezone.localdate().strftime("%-d %B %Y")
    state_rows = [["Consent", "State"]] + [[t.name, s.label] for t, s in matrix]
    history_rows = [["When", "Consent", "Decision", "Who", "How"]] + [
        [
            timezone.localtime(r.recorded_at).strftime("%-d %b %Y"),
            r.consent_type.name,
            r.get_decision_display(),
            r.guardian.full_name,
            r.get_method_display().split(",")[0],
        ]
        for r in history
    ]
    story = [
        Paragraph(escape(f"Consent summary: {child.display_name}"), STYLES["Title"]),
        Paragraph(escape(f"{child.organisation.name}, {today}"), STYLES["BodyText"]),
        Spacer(1, 5 * mm),
        table(state_rows, col_widths=[90 * mm, 80 * mm]),
        Spacer(1, 6 * mm),
        Paragraph("History", STYLES["Heading2"]),
        table(history_rows, col_widths=[25 * mm, 50 * mm, 25 * mm, 40 * mm, 30 * mm]),
    ]
    return build_pdf("Consent summary", story)
