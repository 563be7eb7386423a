"""Reading existing policy documents in every supported format and date style.

The documents are written here, in each format, with the libraries a real
author's software would produce them with (python-docx, reportlab)."""

import datetime as dt
import io
import json
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from policies.importing import UnreadableDocument, extract_text, read_policy

BODY = [
    "1. Purpose",
    "This policy explains how our therapists keep children safe when sessions happen online.",
    "It follows Keeping Children Safe in Education 2023 and Working Together 2018.",
    "2. Contact",
    "Call the office on 01632 960123 or 07700-900-123 with any concern.",
]


def docx_bytes(lines: list[str], footer: str = "", header: str = "") -> bytes:
    document = docx.Document()
    document.add_heading(lines[0], level=1)
    for line in lines[1:]:
        document.add_paragraph(line)
    section = document.sections[0]
    if footer:
        section.footer.paragraphs[0].text = footer
    if header:
        section.header.paragraphs[0].text = header
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(pages: list[list[str]], footer: str = "") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number, lines in enumerate(pages, start=1):
        y = 800
        for line in lines:
            pdf.drawString(50, y, line)
            y -= 18
        if footer:
            pdf.drawString(50, 30, footer.format(page=number, pages=len(pages)))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def read(filename: str, data: bytes):
    return read_policy(extract_text(filename, data))


def test_labelled_numeric_dates_in_plain_text() -> None:
    text = "\n".join(
        [
            "Online Safety Policy - Harbour Music Therapy",
            *BODY,
            "",
            "Date: 09.09.2025",
            "",
            "Review Date: 09.09.2026",
        ]
    )
    found = read("policy.txt", text.encode())
    assert found.title == "Online Safety Policy - Harbour Music Therapy"
    assert found.approved_on == dt.date(2025, 9, 9)
    assert found.review_due == dt.date(2026, 9, 9)
    assert found.review_interval_months == 12
    assert found.version is None
    assert "No version label was found; it will be v1." in found.warnings


def test_updated_and_last_reviewed_with_two_digit_years_in_markdown() -> None:
    text = "# Safeguarding Policy\n\n" + "\n\n".join(BODY) + "\n\n_Last updated: 3/4/24_\n"
    found = read("safeguarding.md", text.encode())
    assert found.title == "Safeguarding Policy"
    assert found.approved_on == dt.date(2024, 4, 3)  # day first, 20xx
    # No review date stated: approval + the default interval, and a warning.
    assert found.review_due == dt.date(2025, 4, 3)
    assert any("no review date" in warning for warning in found.warnings)

    reviewed = read("x.txt", b"Data Policy\nlast reviewed 12.01.25\nNext review due 12.01.26")
    assert (reviewed.approved_on, reviewed.review_due) == (
        dt.date(2025, 1, 12),
        dt.date(2026, 1, 12),
    )


@pytest.mark.parametrize(
    ("approved", "review", "approved_on", "review_due"),
    [
        ("Approved: September 2025", "Next review: September 2026", (2025, 9, 1), (2026, 9, 1)),
        ("APPROVED: SEPT 2025", "NEXT REVIEW: SEPT 2026", (2025, 9, 1), (2026, 9, 1)),
        ("approved mar 2024", "review due mar 2025", (2024, 3, 1), (2025, 3, 1)),
        ("Approved on 9th September 2025", "Review by 9 Sep 2026", (2025, 9, 9), (2026, 9, 9)),
    ],
)
def test_month_and_year_dates_in_a_word_document(approved, review, approved_on, review_due):
    data = docx_bytes(["Remote Sessions Policy", *BODY, approved, review])
    found = read("remote.docx", data)
    assert found.title == "Remote Sessions Policy"
    assert found.approved_on == dt.date(*approved_on)
    assert found.review_due == dt.date(*review_due)


def test_version_and_date_in_a_word_footer_beside_phone_numbers() -> None:
    data = docx_bytes(
        ["Photography and Video Policy", *BODY],
        footer="Version 3 | Updated 01/02/2025 | Tel 01632 960123 | Reg. 1234567",
    )
    found = read("photos.docx", data)
    assert found.version == "v3"
    assert found.approved_on == dt.date(2025, 2, 1)
    assert found.review_due == dt.date(2026, 2, 1)


def test_a_repeated_pdf_footer_gives_version_and_date_and_the_text_is_kept_whole() -> None:
    footer = "Online Safety Policy v2.1 - updated 14/07/25 - 0117 496 0000 - page {page} of {pages}"
    data = pdf_bytes(
        [
            ["Online Safety Policy", *BODY[:3]],
            BODY[3:],
            ["3. Review", "This policy is reviewed annually."],
        ],
        footer=footer,
    )
    found = read("online.pdf", data)
    assert found.title == "Online Safety Policy"
    assert found.version == "v2.1"
    assert found.approved_on == dt.date(2025, 7, 14)
    assert found.review_due == dt.date(2026, 7, 14)
    assert found.review_interval_months == 12
    # What is saved and hashed is the document as it is, footers included.
    assert found.body.count("updated 14/07/25") == 3


def test_no_date_at_all_only_reviewed_annually() -> None:
    text = "ONLINE SAFETY POLICY\nWillow Play Therapy\n" + "\n".join(BODY)
    text += "\nThis policy will be reviewed annually or sooner if the law changes."
    found = read("willow.txt", text.encode())
    assert found.title == "ONLINE SAFETY POLICY"
    assert found.approved_on is None
    assert found.review_due is None
    assert found.review_interval_months == 12
    assert "No approval or update date was found: enter the date it was approved." in found.warnings


def test_years_and_phone_numbers_alone_are_not_dates() -> None:
    found = read("x.txt", "\n".join(["Policy", *BODY]).encode())
    assert found.approved_on is None
    assert found.review_due is None


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("policy.exe", b"MZ", "Choose a .txt, .md, .docx or .pdf file."),
        ("policy.docx", b"not a zip", "not a Word document"),
        ("policy.pdf", b"%PDF-1.4 nonsense", "not a PDF"),
        ("policy.txt", b"   ", "No text could be found"),
        ("policy.txt", b"a\x00b", "not a text file"),
        ("policy.txt", b"\xff\xfe\x00", "could not be read"),
    ],
)
def test_unreadable_files_are_explained(name: str, data: bytes, message: str) -> None:
    with pytest.raises(UnreadableDocument, match=message):
        extract_text(name, data)


@pytest.mark.django_db
def test_import_policy_command_prints_json_and_saves(tmp_path, organisation, bob) -> None:
    path = tmp_path / "harbour.txt"
    path.write_text(
        "Online Safety Policy\n" + "\n".join(BODY) + "\nDate: 09.09.2025\nReview Date: 09.09.2026\n"
    )
    out = StringIO()
    call_command("import_policy", str(path), "--org", "alder", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "title": "Online Safety Policy",
        "version": None,
        "approved_on": "2025-09-09",
        "review_due": "2026-09-09",
        "review_interval_months": 12,
        "warnings": ["No version label was found; it will be v1."],
    }
    from policies.models import PolicyVersion

    version = PolicyVersion.objects.get()
    assert (version.status, version.label, version.approved_on) == (
        "approved",
        "v1",
        dt.date(2025, 9, 9),
    )
    assert version.source_file.read().startswith(b"Online Safety Policy")


@pytest.mark.parametrize(
    ("text", "approved_on", "review_due"),
    [
        # The label nearest the date decides, not one earlier in the sentence.
        (
            "Policy\nIt is due for review annually and was approved on 1 March 2024.",
            (2024, 3, 1),
            (2025, 3, 1),
        ),
        # "Last review" is when it was last confirmed, not when it is next due.
        ("Policy\nDate of last review: 12/05/2025", (2025, 5, 12), (2026, 5, 12)),
        ("Policy\nLast review: June 2025\nNext review: June 2026", (2025, 6, 1), (2026, 6, 1)),
        # The latest confirmation counts: adopted long ago, reviewed since.
        (
            "Policy\nDate adopted: January 2019\nLast reviewed: September 2024",
            (2024, 9, 1),
            (2025, 9, 1),
        ),
        # Month-first and ISO dates.
        (
            "Policy\nApproved: March 15, 2023\nReview date: March 15, 2024",
            (2023, 3, 15),
            (2024, 3, 15),
        ),
        ("Policy\nUpdated 2024-09-01", (2024, 9, 1), (2025, 9, 1)),
        ("Policy\nIssued 01-Sep-2024", (2024, 9, 1), (2025, 9, 1)),
    ],
)
def test_date_styles_from_review(text, approved_on, review_due) -> None:
    found = read_policy(text)
    assert found.approved_on == dt.date(*approved_on)
    assert found.review_due == dt.date(*review_due)


def test_versions_prefer_a_policy_label_and_the_highest_number() -> None:
    table = "Safeguarding Policy\nVersion 1.0 - first issue\nVersion 2.0 - added online safety\n"
    assert read_policy(table + "We meet on Zoom v5.16.").version == "v2.0"
    assert read_policy("Policy\nWe meet on Zoom v5.16.").version is None


def test_review_intervals_come_from_sentences_about_review() -> None:
    text = "Policy\nStaff train annually.\nThis policy is reviewed every two years."
    assert read_policy(text).review_interval_months == 24
    assert read_policy("Policy\nIt is reviewed two-yearly.").review_interval_months is None


def test_pdf_text_is_saved_as_the_document_has_it() -> None:
    data = pdf_bytes([["Procedure Policy", "Step 1", "Yes"], ["Step 2", "No"]])
    body = read("steps.pdf", data).body
    assert [line for line in body.splitlines() if line in {"Step 1", "Yes", "Step 2", "No"}] == [
        "Step 1",
        "Yes",
        "Step 2",
        "No",
    ]


def test_notepad_unicode_text_files_are_read() -> None:
    data = "Policy\nDate: 01.02.2025".encode("utf-16")
    assert read("p.txt", data).approved_on == dt.date(2025, 2, 1)
