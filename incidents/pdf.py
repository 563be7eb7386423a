"""A child's chronology as a PDF for a case conference: every page marked
"Confidential: safeguarding", numbered, and saying who exported it and when.

Each entry is a heading line (when, what, who) and its text flowing beneath,
not a table row: an account of any length runs on to the next page. Every time
is the organisation's, with its zone named ("14:05 BST"), whatever zone the
server runs in."""

import datetime as dt
from collections.abc import Callable

from django.utils.translation import ngettext
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from children.models import Child
from common.pdf import BODY, BOLD_FONT, LINE, STYLES, build_pdf, paragraphs
from common.pdf import text as _text
from common.times import local_time, zone_named
from incidents.timeline import TimelineItem

MARKING = "Confidential: safeguarding"

_HEADING = ParagraphStyle(
    "ChronologyHeading", parent=BODY, fontName=BOLD_FONT, spaceBefore=10, keepWithNext=1
)
_BODY = ParagraphStyle("ChronologyText", parent=LINE, leftIndent=6 * mm)
_CORRECTION_HEADING = ParagraphStyle(
    "CorrectionHeading", parent=_HEADING, leftIndent=6 * mm, spaceBefore=6
)
_CORRECTION_BODY = ParagraphStyle("CorrectionText", parent=_BODY, leftIndent=12 * mm)


def _entry(item: TimelineItem, when: Callable[[dt.datetime], str]) -> list[Flowable]:
    heading = f"{when(item.when)} · {item.source}: {item.kind} · {item.who}"
    story: list[Flowable] = [Paragraph(_text(heading), _HEADING)]
    story += paragraphs(item.text, _BODY)
    for correction in item.corrections:
        heading = (
            f"Correction to the entry above, {when(correction.when)} ({correction.kind}) · "
            f"{correction.who} · recorded {when(correction.recorded_at)}"
        )
        story.append(Paragraph(_text(heading), _CORRECTION_HEADING))
        story += paragraphs(correction.text, _CORRECTION_BODY)
    return story


def render_child_chronology_pdf(
    *, child: Child, items: list[TimelineItem], exported_by: str, exported_at: dt.datetime
) -> bytes:
    zone = zone_named(child.organisation.timezone).key

    def when(value: dt.datetime) -> str:
        # Non-breaking spaces: a heading wraps around its time, never through it.
        return local_time(value, zone).replace(" ", "\u00a0")

    exported = f"Exported by {exported_by} on {local_time(exported_at, zone)}"
    about = (
        f"Date of birth {child.date_of_birth:%-d %B %Y}. {child.organisation.name}. {exported}. "
        + ngettext("%(n)d entry", "%(n)d entries", len(items)) % {"n": len(items)}
        + ", oldest first, each headed by when it happened, what it is and "
        "who recorded it. Corrections are shown under the entry they correct; nothing has "
        f"been removed. Times are {zone} time, each with its zone named."
    )
    story: list[Flowable] = [
        Paragraph(_text(f"Chronology: {child.first_name} {child.last_name}"), STYLES["Title"]),
        Paragraph(_text(about), STYLES["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    for item in items:
        story += _entry(item, when)
    return build_pdf(
        f"Chronology of {child.first_name} {child.last_name}",
        story,
        marking=MARKING,
        footer=exported,
    )
