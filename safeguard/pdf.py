"""What every Safeguard PDF shares: page, styles, table style and download.

Each app keeps its own ``pdf.py`` with pure ``render_<noun>_pdf(...) -> bytes``
functions; they build their story with these pieces.
"""

import io
from xml.sax.saxutils import escape

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
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


def build_pdf(title: str, story: list[Flowable]) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="Safeguard",
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
    ).build(story)  # fmt: skip
    return buffer.getvalue()


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
