"""What every Safeguard PDF shares: page, styles, table style and download.

Each app keeps its own ``pdf.py`` with pure ``render_<noun>_pdf(...) -> bytes``
functions; they build their story with these pieces.
"""

import io
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, TableStyle

STYLES = getSampleStyleSheet()

# A table with a bold header row and a rule under every row.
HEADED_TABLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def text(value: object) -> str:
    """User text for a Paragraph, which reads a small markup language: escaped.

    Plain table cells are drawn as given and must not be escaped.
    """
    return escape(str(value))


def _marked_canvas(marking: str, footer: str) -> type[Canvas]:
    """A canvas that writes the marking at the top of every page and "Page n of
    N" with the footer at the bottom; N is only known once every page is laid
    out, so pages are held until the document is saved."""

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
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                width, height = A4
                self.setFont("Helvetica-Bold", 9)
                self.drawCentredString(width / 2, height - 10 * mm, marking)
                self.setFont("Helvetica", 8)
                self.drawString(20 * mm, 9 * mm, footer)
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
