"""Uploaded documents, checked before any library reads their content.

A .docx is a zip: 62 KB can inflate to 20 MB of paragraphs, which python-docx
then turns into objects one by one for a minute and half a gigabyte while the
worker answers nobody. Its central directory says what is inside before
anything is inflated, so the file is refused from that, and from a count of
its paragraphs, before python-docx sees it.

A PDF can carry JavaScript, actions that run when it opens, embedded files or
an XFA form, all aimed at whoever opens it: for evidence that is the DSL. Its
objects are read (not its page content) and any of those refuse the file.
Every object is visited, not just the places a viewer looks first, so hiding
the script in an annotation, a form field or an object stream does not help.
"""

import io
import re
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from pypdf import PdfReader, apply_configuration
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

# --- Word documents --------------------------------------------------------------------------

DOCX_MAX_PARTS = 500
# Everything inside, images included: python-docx holds every part in memory.
DOCX_MAX_UNCOMPRESSED = 30_000_000
# The XML python-docx parses. A long policy's document.xml is well under 1 MB.
DOCX_MAX_XML = 4_000_000
# Word's XML shrinks about ten times; a bomb's a few hundred times.
DOCX_MAX_RATIO = 100
DOCX_MAX_PARAGRAPHS = 5_000
DOCX_MAX_TABLE_CELLS = 5_000

# --- PDFs ------------------------------------------------------------------------------------

PDF_MAX_PAGES = 500
PDF_MAX_OBJECTS = 50_000
# Any one stream inflated: pypdf's own default is 75 MB.
PDF_MAX_STREAM = 20_000_000
# Reading the objects of a file this size takes well under a second; past this
# something is wrong with it, and the request should not wait to find out what.
PDF_MAX_SECONDS = 5.0

TRY_AGAIN_PDF = "Print it to a new PDF, or upload a screenshot, and try again."


class UploadRefused(ValueError):
    """Why an uploaded document was refused, in words for the person who sent it."""


def docx_check(data: bytes) -> None:
    """Refuse a .docx too big, too many-parted or too compressed to read safely."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # zipfile raises several types for a damaged or hostile file
        raise UploadRefused("The file is not a Word document (.docx) we can open.") from error
    with archive:
        parts = archive.infolist()
        too_big = "The Word document is too large to read once unpacked"
        if len(parts) > DOCX_MAX_PARTS:
            raise UploadRefused(f"The Word document has too many parts ({len(parts)}) to read.")
        if sum(part.file_size for part in parts) > DOCX_MAX_UNCOMPRESSED:
            raise UploadRefused(f"{too_big} (over {DOCX_MAX_UNCOMPRESSED // 1_000_000} MB).")
        xml = [part for part in parts if part.filename.endswith((".xml", ".rels"))]
        if sum(part.file_size for part in xml) > DOCX_MAX_XML:
            raise UploadRefused(f"{too_big}: it holds over {DOCX_MAX_XML // 1_000_000} MB of text.")
        for part in parts:
            if part.file_size > 1_000_000 and part.file_size > DOCX_MAX_RATIO * max(
                part.compress_size, 1
            ):
                raise UploadRefused(
                    f"{too_big}: part of it unpacks to "
                    f"{part.file_size // max(part.compress_size, 1):,} times its size, "
                    "which a real document never does."
                )
        _docx_count_paragraphs(archive, xml)


def _docx_count_paragraphs(archive: zipfile.ZipFile, xml: list[zipfile.ZipInfo]) -> None:
    """python-docx's time goes per paragraph and cell, not per byte: count them
    in the raw XML (already bounded above) before it builds an object for each."""
    paragraphs = cells = 0
    for part in xml:
        try:
            with archive.open(part) as stream:
                # The central directory's sizes can lie; never read past them.
                text = stream.read(DOCX_MAX_XML + 1)
        except Exception as error:  # a bad CRC, an unknown compression, a truncated part
            raise UploadRefused("The file is not a Word document (.docx) we can open.") from error
        paragraphs += len(re.findall(rb"<w:p[ >/]", text))
        cells += len(re.findall(rb"<w:tc[ >/]", text))
    if paragraphs > DOCX_MAX_PARAGRAPHS:
        raise UploadRefused(
            f"The Word document has {paragraphs:,} paragraphs; we read up to "
            f"{DOCX_MAX_PARAGRAPHS:,}. Split it, or save it as PDF, and try again."
        )
    if cells > DOCX_MAX_TABLE_CELLS:
        raise UploadRefused(
            f"The Word document's tables have {cells:,} cells; we read up to "
            f"{DOCX_MAX_TABLE_CELLS:,}."
        )


# --- PDFs ------------------------------------------------------------------------------------

# Action types that run something, fetch something or send something, by /S.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts a program",
    "/ImportData": "an action that imports data",
    "/SubmitForm": "an action that sends form data",
    "/GoToE": "an action that opens an embedded file",
    "/GoToR": "an action that opens another file",
    "/Rendition": "a media action",
    "/RichMediaExecute": "a rich media action",
}
# Keys whose mere presence means active content.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions that run when it is opened, closed or clicked",
    "/EmbeddedFiles": "embedded files",
    "/EF": "embedded files",
    "/XFA": "an XFA form",
    "/RichMediaContent": "rich media",
}
_ACTIVE_SUBTYPES = {
    "/FileAttachment": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/RichMedia": "rich media",
    "/Movie": "a media player",
    "/Screen": "a media player",
    "/Sound": "embedded sound",
}
# The same names as raw bytes, for objects outside the cross-reference table
# that a viewer repairing the file could still find. #xx escapes are decoded.
# Stream data (images, compressed content) is left out: random bytes spell
# "/JS" about once in every 16 MB.
_STREAM_DATA = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r).*?endstream", re.DOTALL)
_RAW_NAME = re.compile(rb"/(?:[A-Za-z0-9_.+-]|#[0-9A-Fa-f]{2})+")
_RAW_ACTIVE = {
    name.encode(): reason
    for name, reason in (
        *_ACTIVE_KEYS.items(),
        *_ACTIVE_ACTIONS.items(),
        *_ACTIVE_SUBTYPES.items(),
    )
    if name not in {"/GoToR", "/EF"}  # too common as plain words in a raw scan
}


@contextmanager
def pdf_limits() -> Iterator[None]:
    """pypdf's own limits, tightened for documents people upload here; reading a
    page's text later must happen inside this too."""
    with apply_configuration(
        maximum_declared_stream_length=PDF_MAX_STREAM,
        zlib_maximum_output_length=PDF_MAX_STREAM,
        lzw_maximum_output_length=PDF_MAX_STREAM,
        run_length_maximum_output_length=PDF_MAX_STREAM,
        array_based_stream_maximum_output_length=PDF_MAX_STREAM,
        image_maximum_buffer_size=PDF_MAX_STREAM,
        page_tree_maximum_entries=PDF_MAX_PAGES * 4,
    ):
        yield


def pdf_check(data: bytes, *, max_pages: int = PDF_MAX_PAGES) -> PdfReader:
    """Refuse a PDF that is unreadable, too large in pages or objects, or carries
    active content; the reader it returns is used inside `pdf_limits()`."""
    reason = _raw_active(data)
    if reason:
        raise UploadRefused(_active_message(reason))
    with pdf_limits():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise UploadRefused(
                    "The PDF is protected by a password. Save a copy without one and try again."
                )
            objects = _object_ids(reader)
            if len(objects) > PDF_MAX_OBJECTS:
                raise UploadRefused(f"The PDF is too complex to check safely. {TRY_AGAIN_PDF}")
            pages = len(reader.pages)
            if pages > max_pages:
                raise UploadRefused(f"The PDF has {pages:,} pages; we accept up to {max_pages:,}.")
            if pages == 0:
                raise UploadRefused("The PDF has no pages.")
            reason = _active_in(reader, objects)
        except UploadRefused:
            raise
        except Exception as error:  # pypdf raises many types for a damaged or hostile file
            raise UploadRefused(f"The file is not a PDF we can read. {TRY_AGAIN_PDF}") from error
    if reason:
        raise UploadRefused(_active_message(reason))
    return reader


def _active_message(reason: str) -> str:
    return (
        f"The PDF contains {reason}, which could run on the computer of whoever opens it, "
        f"so it cannot be stored. {TRY_AGAIN_PDF}"
    )


def _raw_active(data: bytes, allow: frozenset[str] = frozenset()) -> str | None:
    for match in _RAW_NAME.finditer(_STREAM_DATA.sub(b"stream endstream", data)):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), match[0])
        if name in _RAW_ACTIVE and _RAW_ACTIVE[name] not in allow:
            return _RAW_ACTIVE[name]
    return None


EMBEDDED_FILES = "embedded files"


def pdf_active_content(
    data: bytes, reader: PdfReader, *, allow: frozenset[str] = frozenset()
) -> str | None:
    """What active content a PDF holds, but for the kinds ``allow`` names (a
    reason such as EMBEDDED_FILES): for a PDF Safeguard made itself and reads
    back (a child protection file carries its records as an attachment), whose
    reader is already decrypted. Call it inside ``pdf_limits()``."""
    return _raw_active(data, allow) or _active_in(reader, _object_ids(reader), allow)


def _object_ids(reader: PdfReader) -> list[tuple[int, int]]:
    """Every object the cross-reference table names, those inside object streams too."""
    ids = {(num, gen) for gen, table in reader.xref.items() for num in table}
    ids.update((num, 0) for num in reader.xref_objStm)
    return sorted(ids)


def _active_in(
    reader: PdfReader, objects: list[tuple[int, int]], allow: frozenset[str] = frozenset()
) -> str | None:
    """What active content any object holds. An object pypdf cannot read raises,
    and the file is refused: a more forgiving viewer might read it, and run it."""
    started = time.monotonic()
    for number, generation in objects:
        if time.monotonic() - started > PDF_MAX_SECONDS:
            raise UploadRefused(f"The PDF took too long to check. {TRY_AGAIN_PDF}")
        reason = _active_object(IndirectObject(number, generation, reader).get_object(), allow)
        if reason:
            return reason
    return _active_object(reader.trailer, allow)


def _active_object(root: PdfObject | None, allow: frozenset[str] = frozenset()) -> str | None:
    """Look through one object and what it holds directly; objects it refers to
    are looked through on their own, so a loop of references cannot trap this."""
    pending: list[PdfObject | None] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, DictionaryObject):  # a stream's dictionary too
            for key, value in item.items():
                if key in _ACTIVE_KEYS and _ACTIVE_KEYS[key] not in allow:
                    return _ACTIVE_KEYS[key]
                if isinstance(value, NameObject):
                    if key == "/S" and value in _ACTIVE_ACTIONS:
                        return _ACTIVE_ACTIONS[value]
                    if (
                        key in {"/Subtype", "/Type"}
                        and value in _ACTIVE_SUBTYPES
                        and _ACTIVE_SUBTYPES[value] not in allow
                    ):
                        return _ACTIVE_SUBTYPES[value]
                elif not isinstance(value, IndirectObject):
                    pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(value for value in item if not isinstance(value, IndirectObject))
    return None
