"""Documents people upload as evidence (a task's, a training certificate): what
each really is, judged from its content, and the one way it is handed back.

The name someone's file arrives with says nothing we can trust: the kind comes
from its first bytes, a PDF must pass common.uploads.pdf_check and a Word
document docx_check, and the file is stored under a name of our making whose
extension is that checked kind. Downloads go only through a view that has
fetched the record through a permission check; this module builds the response.
"""

import hashlib
import io
import zipfile

from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from common.uploads import UploadRefused, docx_check, pdf_check

DOCUMENT_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DOCUMENT_MAX_BYTES = 10_000_000
DOCUMENT_MAX_PAGES = 200

_MAGIC = {
    b"%PDF": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"PK\x03\x04": "docx",
}
_KIND_NAMES = {"pdf": "PDF", "png": "PNG", "jpg": "JPEG", "docx": "Word (.docx)"}


def upload_bytes(upload: UploadedFile, *, max_bytes: int = DOCUMENT_MAX_BYTES) -> bytes:
    """The upload's content, never more than one byte past the limit read into memory."""
    too_big = UploadRefused(f"The file is larger than {max_bytes // 1_000_000} MB.")
    if upload.size is not None and upload.size > max_bytes:
        raise too_big
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    if not data:
        raise UploadRefused("The file is empty.")
    return data


def document_checked(
    data: bytes,
    *,
    kinds: frozenset[str] = frozenset(DOCUMENT_CONTENT_TYPES),
    max_pages: int = DOCUMENT_MAX_PAGES,
) -> str:
    """The document's kind ("pdf", "png", "jpg", "docx") once it is known to be
    one of ``kinds`` and safe to keep; UploadRefused, in plain words, otherwise."""
    kind = next((k for magic, k in _MAGIC.items() if data.startswith(magic)), None)
    if kind is None or kind not in kinds:
        allowed = ", ".join(_KIND_NAMES[k] for k in DOCUMENT_CONTENT_TYPES if k in kinds)
        raise UploadRefused(f"Upload a {allowed} file; this one is none of those.")
    if kind == "pdf":
        pdf_check(data, max_pages=max_pages)
    elif kind == "docx":
        docx_check(data)  # from the zip's directory, before anything is inflated
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        # Any zip starts with these bytes; a Word document has its body inside.
        if not {"[Content_Types].xml", "word/document.xml"} <= names:
            raise UploadRefused("The file is not a Word document (.docx) we can open.")
    return kind


def stored_name(prefix: str, data: bytes, kind: str) -> str:
    """A name of our making: what it is for and a digest of its content."""
    return f"{prefix}-{hashlib.sha256(data).hexdigest()[:16]}.{kind}"


def stored_kind(file: FieldFile) -> str | None:
    """The checked kind, from the extension given when the file was stored."""
    kind = file.name.rsplit(".", 1)[-1].lower() if file.name else ""
    return kind if kind in DOCUMENT_CONTENT_TYPES else None


def private_download(file: FieldFile, *, filename: str) -> FileResponse:
    """The stored file as an attachment, typed by its checked kind, never sniffed,
    cached or rendered in the portal's origin."""
    kind = stored_kind(file)
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        content_type=DOCUMENT_CONTENT_TYPES.get(kind or "", "application/octet-stream"),
        filename=f"{filename}.{kind or 'bin'}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
