"""The bench's uploads: how long, and how much memory, refusing a hostile
document takes, and reading the largest .docx a policy import accepts.

Before the checks in common/uploads.py, python-docx read a 92 KB .docx of 20 MB
of short paragraphs for 275 s with 460 MB resident on the development machine;
these figures show what refusing costs now.
"""

import io
import statistics
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import docx
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from reportlab.pdfgen import canvas

from common.uploads import DOCX_MAX_PARAGRAPHS, UploadRefused, pdf_check
from policies.importing import UnreadableDocument, extract_text


def _docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_bomb(megabytes: int = 21) -> bytes:
    """A real .docx whose document.xml is `megabytes` MB of paragraphs, about
    60 KB in all: long runs of one letter deflate about a thousand times."""
    source = zipfile.ZipFile(io.BytesIO(_docx(["Online Safety Policy"])))
    paragraph = b"<w:p><w:r><w:t>" + b"a" * 2500 + b"</w:t></w:r></w:p>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "word/document.xml":
                body = paragraph * (megabytes * 1_000_000 // len(paragraph))
                data = data.replace(b"<w:body>", b"<w:body>" + body, 1)
            bomb.writestr(part.filename, data)
    return out.getvalue()


def _pdf_with_javascript() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(50, 800, "Screenshot of a chat")
    pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_open_action(JavaScript("app.alert('opened');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refuse_docx(data: bytes) -> None:
    try:
        extract_text("policy.docx", data)
    except UnreadableDocument:
        return
    raise AssertionError("the bomb was read")


def _refuse_pdf(data: bytes) -> None:
    try:
        pdf_check(data)
    except UploadRefused:
        return
    raise AssertionError("the PDF with JavaScript passed")


def measure_uploads(repeat: int) -> list[dict[str, object]]:
    # Just under the limit (python-docx's blank document brings a paragraph or two).
    largest = _docx([f"Paragraph {n} of the policy." for n in range(DOCX_MAX_PARAGRAPHS - 10)])
    cases: list[tuple[str, bytes, Callable[[bytes], object]]] = [
        ("docx bomb refused", docx_bomb(), _refuse_docx),
        ("pdf with JavaScript refused", _pdf_with_javascript(), _refuse_pdf),
        (
            f"largest docx read (~{DOCX_MAX_PARAGRAPHS:,} paragraphs)",
            largest,
            lambda data: extract_text("policy.docx", data),
        ),
    ]
    results: list[dict[str, object]] = []
    for name, data, run in cases:
        timings = []
        for _ in range(min(repeat, 5)):
            start = time.perf_counter()
            run(data)
            timings.append((time.perf_counter() - start) * 1000)
        tracemalloc.start()
        run(data)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results.append(
            {
                "name": name,
                "bytes": len(data),
                "p50_ms": round(statistics.median(timings), 2),
                "python_peak_kb": round(peak / 1024),
            }
        )
    return results
