"""What every Safeguard PDF shares: fonts, page, styles, tables and download.

Each app keeps its own ``pdf.py`` with pure ``render_<noun>_pdf(...) -> bytes``
functions; they build their story with these pieces.

What people write (a concern, a chronology entry, a policy) has no length a
page can hold: it goes in through ``paragraphs``, which flows it from page to
page, and into a table only through ``table``, whose rows split across pages.
A table cell that cannot split makes reportlab refuse the whole document, and
a record that can never be exported again.
"""

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

# DejaVu, vendored with its licence in fonts/ so the Docker image (which has no
# system fonts) draws the same as a laptop. The PDF standard fonts (Helvetica)
# hold Latin-1 only: Welsh ŵ and ŷ, Hebrew and Arabic came out as black boxes,
# so a parent's name or a child's words were lost from the record.
FONTS = Path(__file__).resolve().parent / "fonts"
BODY_FONT = "DejaVuSans"
BOLD_FONT = "DejaVuSans-Bold"
MONO_FONT = "DejaVuSansMono"
for _name in (BODY_FONT, BOLD_FONT, MONO_FONT):
    pdfmetrics.registerFont(TTFont(_name, FONTS / f"{_name}.ttf"))
# No oblique faces are vendored: <i> falls back to upright rather than failing.
pdfmetrics.registerFontFamily(
    BODY_FONT, normal=BODY_FONT, bold=BOLD_FONT, italic=BODY_FONT, boldItalic=BOLD_FONT
)

STYLES = getSampleStyleSheet()
for _style in STYLES.byName.values():
    if isinstance(_style, ParagraphStyle):
        if _style.fontName.startswith("Courier"):
            _style.fontName = MONO_FONT
        elif "Bold" in _style.fontName:
            _style.fontName = BOLD_FONT
        else:
            _style.fontName = BODY_FONT
BODY = ParagraphStyle("Body", parent=STYLES["BodyText"])
# One line of what someone wrote: lines follow each other without a paragraph's gap.
LINE = ParagraphStyle("Line", parent=BODY, spaceBefore=0)
TABLE_HEADER = ParagraphStyle("TableHeader", parent=BODY, fontName=BOLD_FONT)
STYLES.add(LINE)
STYLES.add(TABLE_HEADER)

# A table with a bold header row and a rule under every row.
HEADED_TABLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), BODY_FONT),
        ("FONTNAME", (0, 0), (-1, 0), BOLD_FONT),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)

# A4 less our margins: what a table spreads its columns over when not told.
FRAME_WIDTH = A4[0] - 40 * mm

_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")


def text(value: object) -> str:
    """User text for a Paragraph, which reads a small markup language: escaped.

    Plain table cells are drawn as given and must not be escaped.
    """
    return escape(str(value))


def paragraphs(value: object, style: ParagraphStyle | None = None) -> list[Flowable]:
    """What someone wrote, line by line, to flow across as many pages as it needs.

    One Paragraph a line, so 2,500 short lines are 2,500 small flowables and not
    one that reportlab splits again on every page; a line of any length wraps
    (a long word is broken) and splits between pages. A blank line keeps its gap.
    """
    style = style or LINE
    story: list[Flowable] = []
    for line in _LINE_BREAK.split(str(value)):
        if line.strip():
            story.append(Paragraph(text(line), style))
        elif story:
            story.append(Spacer(1, style.leading / 2))
    return story


def cell(value: object, style: ParagraphStyle | None = None) -> Flowable | list[Flowable]:
    """A table cell that wraps: a Paragraph for one line, paragraphs for several."""
    if isinstance(value, Flowable):
        return value
    value = str(value)
    if _LINE_BREAK.search(value) and value.strip():
        return paragraphs(value, style)
    return Paragraph(text(value), style or BODY)


def table(
    rows: Sequence[Sequence[object]],
    *,
    col_widths: Sequence[float] | None = None,
    header: bool = True,
    style: TableStyle | None = None,
    **kwargs: Any,
) -> LongTable:
    """Rows of cells (text or flowables), every cell wrapped, and a row taller
    than a page split across pages (splitInRow) instead of refusing the PDF.

    Without widths the columns share the page equally: left to reportlab, one
    long word in a cell squeezes the other columns below zero and the PDF fails.
    """
    body = [
        [cell(value, TABLE_HEADER if header and n == 0 else None) for value in row]
        for n, row in enumerate(rows)
    ]
    if col_widths is None:
        columns = max((len(row) for row in rows), default=1)
        col_widths = [FRAME_WIDTH / columns] * columns
    return LongTable(
        body,
        colWidths=col_widths,
        repeatRows=1 if header else 0,
        splitInRow=1,
        style=style or HEADED_TABLE,
        **kwargs,
    )


# The footer's size and line spacing, and the most lines that fit under the
# frame (the bottom margin, 18 mm) above the page number's baseline (9 mm).
FOOTER_SIZE = 8
FOOTER_LEADING = 9.5
FOOTER_LINES = 3


def footer_lines(footer: str, width: float) -> list[str]:
    """The footer broken into lines no wider than ``width``: drawn as one line
    it ran under "Page n of N" when the exporter's name was long, printing the
    time over the page number. A word too long for a line is broken; past
    ``FOOTER_LINES`` the last line ends "…" (the first page states it in full)."""
    lines: list[str] = []
    for line in simpleSplit(footer, BODY_FONT, FOOTER_SIZE, width):
        while pdfmetrics.stringWidth(line, BODY_FONT, FOOTER_SIZE) > width:
            fits = len(line) - 1
            while fits > 1 and pdfmetrics.stringWidth(line[:fits], BODY_FONT, FOOTER_SIZE) > width:
                fits -= 1
            lines.append(line[:fits])
            line = line[fits:]
        lines.append(line)
    if len(lines) > FOOTER_LINES:
        last = lines[FOOTER_LINES - 1]
        while last and pdfmetrics.stringWidth(last + "…", BODY_FONT, FOOTER_SIZE) > width:
            last = last[:-1]
        lines = [*lines[: FOOTER_LINES - 1], last.rstrip() + "…"]
    return lines


def _marked_canvas(marking: str, footer: str) -> type[Canvas]:
    """A canvas that writes the marking at the top of every page and "Page n of
    N" with the footer at the bottom; N is only known once every page is laid
    out, so pages are held until the document is saved. The footer keeps to
    the room left of the widest page number, so the two never overprint."""

    class MarkedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # reportlab calls it by this name
            self._pages.append(dict(self.__dict__))
            # What Canvas.showPage itself calls; types-reportlab omits private names.
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            width, height = A4
            widest = pdfmetrics.stringWidth(f"Page {total} of {total}", BODY_FONT, FOOTER_SIZE)
            lines = footer_lines(footer, FRAME_WIDTH - widest - 6 * mm)
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self.setFont(BOLD_FONT, 9)
                self.drawCentredString(width / 2, height - 10 * mm, marking)
                self.setFont(BODY_FONT, FOOTER_SIZE)
                for n, line in enumerate(lines):
                    # The last line sits on the page number's baseline, the others above.
                    y = 9 * mm + (len(lines) - 1 - n) * FOOTER_LEADING
                    self.drawString(20 * mm, y, line)
                self.drawRightString(width - 20 * mm, 9 * mm, f"Page {number} of {total}")
                super().showPage()
            super().save()

    return MarkedCanvas


def build_pdf(
    title: str, story: list[Flowable], *, marking: str | None = None, footer: str = ""
) -> bytes:
    """A4 with our margins; with a marking (such as "Confidential: safeguarding"),
    every page also carries it, the footer and its page number."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="Safeguard",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    if marking is None:
        document.build(story)
    else:
        document.build(story, canvasmaker=_marked_canvas(marking, footer))
    return buffer.getvalue()


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
