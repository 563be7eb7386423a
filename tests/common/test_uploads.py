"""Uploaded documents are judged before any library reads their content."""

import io
import zipfile

import pytest

from common.uploads import (
    DOCX_MAX_PARAGRAPHS,
    UploadRefused,
    docx_check,
    pdf_check,
)
from tests.hostile_files import (
    HOSTILE_PDFS,
    docx_bomb,
    pdf_with_js_in_object_stream,
    plain_docx,
    plain_pdf,
)


def test_the_bomb_is_what_the_finding_describes() -> None:
    bomb = docx_bomb()
    assert 50_000 < len(bomb) < 80_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(part.file_size for part in archive.infolist()) >= 20_000_000


def test_a_docx_bomb_is_refused_from_its_directory() -> None:
    with pytest.raises(UploadRefused, match="too large to read once unpacked"):
        docx_check(docx_bomb())


def test_a_docx_of_many_small_paragraphs_is_refused_by_count() -> None:
    """Under every size limit, yet each paragraph costs python-docx an object."""
    many = tuple(f"Line {n}" for n in range(DOCX_MAX_PARAGRAPHS + 10))
    with pytest.raises(UploadRefused, match=f"we read up to {DOCX_MAX_PARAGRAPHS:,}"):
        docx_check(plain_docx(many))


def test_one_highly_compressed_part_is_refused_by_ratio() -> None:
    """A part past the text limit's reach (not .xml) that inflates like a bomb."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for part in source.infolist():
            archive.writestr(part.filename, source.read(part.filename))
        archive.writestr("word/media/image1.bmp", b"\x00" * 5_000_000)
    with pytest.raises(UploadRefused, match="times its size"):
        docx_check(out.getvalue())


def test_a_docx_of_too_many_parts_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(600):
            archive.writestr(f"word/media/{number}.png", b"x")
    with pytest.raises(UploadRefused, match="too many parts"):
        docx_check(out.getvalue())


def test_an_ordinary_docx_and_pdf_pass() -> None:
    docx_check(plain_docx())
    assert len(pdf_check(plain_pdf()).pages) == 1


@pytest.mark.parametrize("kind", sorted(HOSTILE_PDFS))
def test_a_pdf_with_active_content_is_refused(kind: str) -> None:
    with pytest.raises(UploadRefused, match="could run on the computer of whoever opens it"):
        pdf_check(HOSTILE_PDFS[kind]())


def test_javascript_whose_bytes_appear_nowhere_in_the_file_is_still_found() -> None:
    """Compressed in an object stream: only reading the objects finds it."""
    data = pdf_with_js_in_object_stream()
    assert b"JavaScript" not in data
    assert b"/JS" not in data
    with pytest.raises(UploadRefused, match="contains JavaScript"):
        pdf_check(data)


def test_a_pdf_past_the_page_limit_is_refused() -> None:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for _ in range(4):
        pdf.showPage()
    pdf.save()
    with pytest.raises(UploadRefused, match="4 pages; we accept up to 3"):
        pdf_check(buffer.getvalue(), max_pages=3)


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4 nonsense", b"%PDF-1.7\n" + b"\xff" * 100, b"%PDF-1.4\n%%EOF\n"],
)
def test_a_pdf_that_cannot_be_read_is_refused_not_stored_unchecked(data: bytes) -> None:
    with pytest.raises(UploadRefused, match="PDF"):
        pdf_check(data)


def test_a_password_protected_pdf_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain_pdf())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(UploadRefused, match="password"):
        pdf_check(out.getvalue())
