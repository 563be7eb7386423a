"""Documents built the way real software builds them, ordinary and hostile.

The hostile ones are made with the same libraries (python-docx, pypdf) or by
hand where no library would write them (a compressed object stream)."""

import io
import zlib

import docx
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ops.bench_uploads import docx_bomb

__all__ = ["HOSTILE_PDFS", "docx_bomb", "plain_docx", "plain_pdf"]


def plain_pdf(lines: tuple[str, ...] = ("Consent form", "Signed: Huda Hassan")) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number, line in enumerate(lines):
        pdf.drawString(50, 800 - 18 * number, line)
    # An ordinary link: a URI action is not active content.
    pdf.linkURL("https://www.ceop.police.uk/", (50, 700, 200, 720))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def plain_docx(lines: tuple[str, ...] = ("Online Safety Policy", "Version 2")) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rewritten(change: object, source: bytes | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source or plain_pdf())))
    change(writer)  # type: ignore[operator]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_open_action_js() -> bytes:
    """/OpenAction running JavaScript as the file opens (pypdf's add_open_action)."""
    return _rewritten(lambda w: w.add_open_action(JavaScript("app.alert('opened');")))


def pdf_with_embedded_file() -> bytes:
    return _rewritten(lambda w: w.add_attachment("invoice.exe", b"MZ\x90\x00"))


def pdf_with_launch_link() -> bytes:
    """A link annotation that launches a program, its names #-escaped as some writers do."""

    def add(writer: PdfWriter) -> None:
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (0, 0, 100, 100)]),
                NameObject("/A"): DictionaryObject(
                    {
                        NameObject("/S"): NameObject("/Launch"),
                        NameObject("/F"): TextStringObject("cmd.exe"),
                    }
                ),
            }
        )
        writer.add_annotation(0, annotation)

    data = _rewritten(add)
    return data.replace(b"/Launch", b"/L#61unch")


def pdf_with_page_aa() -> bytes:
    """JavaScript on a page's open event (/AA), not at the document's start."""

    def add(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('page');"),
            }
        )
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})

    return _rewritten(add)


def pdf_with_xfa_form() -> bytes:
    """An XFA form: scriptable, and read by some viewers in place of the pages."""

    def add(writer: PdfWriter) -> None:
        writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
            {
                NameObject("/Fields"): ArrayObject(),
                NameObject("/XFA"): ArrayObject(
                    [TextStringObject("template"), TextStringObject("<template/>")]
                ),
            }
        )

    return _rewritten(add)


def pdf_with_js_in_object_stream() -> bytes:
    """The JavaScript action lives in a compressed object stream, so its bytes
    appear nowhere in the file: only reading the objects finds it."""
    action = b"<</S/JavaScript/JS(app.alert\\(1\\))>>"
    header = b"4 0 "
    objstm = zlib.compress(header + action)
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
        None,  # object 4 is in the object stream
        b"<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>stream\n"
        % (len(header), len(objstm))
        + objstm
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in enumerate(objects, start=1):
        if body is None:
            continue
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_number = len(objects) + 1
    offsets[xref_number] = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for number in range(1, xref_number + 1):
        if number == 4:
            rows.append(b"\x02" + (5).to_bytes(4, "big") + (0).to_bytes(2, "big"))
        else:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
    table = b"".join(rows)
    out += (
        b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/Length %d>>stream\n"
        % (xref_number, xref_number + 1, len(table))
        + table
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


HOSTILE_PDFS = {
    "open action JavaScript": pdf_with_open_action_js,
    "embedded file": pdf_with_embedded_file,
    "launch link, #-escaped": pdf_with_launch_link,
    "page open JavaScript (/AA)": pdf_with_page_aa,
    "JavaScript in an object stream": pdf_with_js_in_object_stream,
    "XFA form": pdf_with_xfa_form,
}
