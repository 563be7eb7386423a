"""A child's chronology as a PDF for a case conference: every page marked
"Confidential: safeguarding", numbered, and saying who exported it and when."""

import datetime as dt

from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from children.models import Child
from common.pdf import HEADED_TABLE, STYLES, build_pdf
from common.pdf import text as _text
from incidents.timeline import TimelineItem

MARKING = "Confidential: safeguarding"


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%-d %b %Y %H:%M")


def _cell(value: str) -> Paragraph:
    return Paragraph(_text(value).replace("\n", "<br/>"), STYLES["BodyText"])


def render_child_chronology_pdf(
    *, child: Child, items: list[TimelineItem], exported_by: str, exported_at: dt.datetime
) -> bytes:
    exported = f"Exported by {exported_by} on {_when(exported_at)}"
    rows: list[list[str | Paragraph]] = [["When", "What", "Entry", "By"]]
    for item in items:
        rows.append(
            [
                _when(item.when),
                _cell(f"{item.source}: {item.kind}"),
                _cell(item.text),
                _cell(item.who),
            ]
        )
        for correction in item.corrections:
            rows.append(
                [
                    _when(correction.when),
                    _cell(f"Correction to the entry above ({correction.kind})"),
                    _cell(f"{correction.text} (recorded {_when(correction.recorded_at)})"),
                    _cell(correction.who),
                ]
            )
    about = (
        f"Date of birth {child.date_of_birth:%-d %B %Y}. {child.organisation.name}. {exported}. "
        f"{len(items)} entries, oldest first. Corrections are shown under the entry they "
        "correct; nothing has been removed."
    )
    widths = [28 * mm, 37 * mm, 80 * mm, 25 * mm]
    story = [
        Paragraph(_text(f"Chronology: {child.first_name} {child.last_name}"), STYLES["Title"]),
        Paragraph(_text(about), STYLES["BodyText"]),
        Spacer(1, 4 * mm),
        Table(rows, colWidths=widths, repeatRows=1, style=HEADED_TABLE),
    ]
    return build_pdf(
        f"Chronology of {child.first_name} {child.last_name}",
        story,
        marking=MARKING,
        footer=exported,
    )
