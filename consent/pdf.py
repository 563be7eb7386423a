"""The parent's receipt: everything shown, every answer, the evidence, and its hash.

Written in the language the parent signed in, with the form's own words for
each answer, so the receipt reads back exactly what they chose."""

import io
from collections.abc import Sequence

from django.utils import formats, timezone, translation
from django.utils.translation import pgettext
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, Paragraph, Spacer

from children.models import Child
from common.i18n import in_language
from common.pdf import STYLES, build_pdf, paragraphs, table
from common.pdf import text as escape
from common.times import zone_named
from consent.forms import ANSWER_WORDS
from consent.models import ConsentRecord
from consent.signature import UnreadableSignature, signature_png
from consent.wording import shown_name
from policies.models import PolicyVersion

SIGNATURE_BOX = (80 * mm, 30 * mm)


def _signature(record: ConsentRecord) -> list[Flowable]:
    """The drawn signature, scaled into its box, when there is one we can read.
    (It was checked when signed; one that cannot be read now is left out, and
    the typed name still stands.)"""
    if not record.signature_png:
        return []
    try:
        png = signature_png(record.signature_png)
    except UnreadableSignature:
        return []
    image = Image(io.BytesIO(png))
    scale = min(SIGNATURE_BOX[0] / image.imageWidth, SIGNATURE_BOX[1] / image.imageHeight)
    image.drawWidth = image.imageWidth * scale
    image.drawHeight = image.imageHeight * scale
    image.hAlign = "LEFT"
    return [image]


def render_receipt_pdf(
    records: list[ConsentRecord],
    *,
    show_address: bool = True,
    policies: Sequence[PolicyVersion] = (),
) -> bytes:
    """``show_address`` False for a copy that may go to someone else (a subject
    access export): the address the parent signed from is theirs alone."""
    first = records[0]
    with translation.override(first.language or "en-gb"):
        return _receipt(records, show_address=show_address, policies=policies)


def _receipt(
    records: list[ConsentRecord], *, show_address: bool, policies: Sequence[PolicyVersion]
) -> bytes:
    first = records[0]
    language = first.language or "en-gb"
    local = first.recorded_at.astimezone(zone_named(first.organisation.timezone))
    when = f"{formats.date_format(local, 'j F Y, H:i')} {local.tzname() or ''}".strip()
    rows = [
        [
            pgettext("consent signing", "Consent"),
            pgettext("consent signing", "Your answer"),
            pgettext("consent signing", "Valid until"),
        ]
    ] + [
        [
            shown_name(r.type_version, language),
            str(ANSWER_WORDS.get(r.decision, r.get_decision_display())),
            formats.date_format(r.valid_until, "j M Y") if r.valid_until else "-",
        ]
        for r in records
    ]
    story: list[Flowable] = [
        Paragraph(escape(pgettext("consent signing", "Consent receipt")), STYLES["Title"])
    ]
    if first.reference:
        story.append(
            Paragraph(
                escape(
                    pgettext("consent signing", "Reference: %(reference)s")
                    % {"reference": first.reference}
                ),
                STYLES["Heading1"],
            )
        )
    story += [
        Paragraph(
            escape(
                pgettext("consent signing", "%(organisation)s, for %(child)s")
                % {"organisation": first.organisation.name, "child": first.child.display_name}
            ),
            STYLES["Heading2"],
        ),
        Paragraph(
            escape(
                pgettext("consent signing", "Signed by %(name)s (%(relationship)s) on %(when)s.")
                % {"name": first.typed_name, "relationship": first.relationship, "when": when}
            ),
            STYLES["BodyText"],
        ),
        Spacer(1, 5 * mm),
        table(rows, col_widths=[85 * mm, 45 * mm, 35 * mm]),
        Spacer(1, 5 * mm),
        Paragraph(escape(pgettext("consent signing", "What you were shown")), STYLES["Heading3"]),
    ]
    for record in records:
        name = shown_name(record.type_version, language)
        story.append(Paragraph(f"<b>{escape(name)}</b>", STYLES["BodyText"]))
        story += paragraphs(in_language(record.type_version, "explanation", language))
    if policies:
        story += [
            Spacer(1, 5 * mm),
            Paragraph(
                escape(pgettext("consent signing", "Policies you read and agreed to")),
                STYLES["Heading3"],
            ),
            table(
                [
                    [
                        pgettext("consent signing", "Policy"),
                        pgettext("consent signing", "Version"),
                        pgettext("consent signing", "SHA-256 (start)"),
                    ]
                ]
                + [[v.policy.title, v.label, v.content_sha256[:12]] for v in policies],
                col_widths=[95 * mm, 30 * mm, 40 * mm],
            ),
        ]
    story += [
        Spacer(1, 5 * mm),
        Paragraph(escape(pgettext("consent signing", "Signature")), STYLES["Heading3"]),
        *_signature(first),
        Paragraph(
            escape(
                pgettext("consent signing", "Typed name: %(name)s") % {"name": first.typed_name}
            ),
            STYLES["BodyText"],
        ),
        Spacer(1, 5 * mm),
        Paragraph(escape(pgettext("consent signing", "Evidence")), STYLES["Heading3"]),
        Paragraph(
            escape(
                pgettext("consent signing", "Time (UTC): %(time)s")
                % {"time": first.recorded_at.isoformat()}
            ),
            STYLES["BodyText"],
        ),
        Paragraph(
            escape(
                pgettext("consent signing", "Address: %(address)s")
                % {"address": first.ip_address or pgettext("consent signing", "not known")}
                if show_address
                else pgettext("consent signing", "Address: left out of this copy")
            ),
            STYLES["BodyText"],
        ),
        Paragraph(
            escape(
                pgettext("consent signing", "Request fingerprint: %(sha)s")
                % {"sha": first.request_sha256}
            ),
            STYLES["Code"],
        ),
        Paragraph(
            escape(
                pgettext("consent signing", "Receipt fingerprint (SHA-256): %(sha)s")
                % {"sha": first.receipt_sha256}
            ),
            STYLES["Code"],
        ),
        Paragraph(
            escape(
                pgettext(
                    "consent signing",
                    "You can withdraw any consent at any time from the link in your email.",
                )
            ),
            STYLES["BodyText"],
        ),
    ]
    return build_pdf(pgettext("consent signing", "Consent receipt"), story)


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
