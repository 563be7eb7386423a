"""Every PDF the portal makes holds long text across pages: the consent receipt
and summary, a policy version and who has read it, the board report and the
subject access export. Text of any length flows or splits; a word of thousands
of characters wraps; Welsh, Hebrew and Arabic are drawn, not lost. Each is read
back with pypdf, its marker words in order and no text drawn over other text.

The chronology's own tests are in tests/incidents/test_chronology_export.py."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from children import services as caseload
from consent.pdf import render_receipt_pdf
from dashboard import figures as dashboard
from incidents import services as incident_services
from policies import services as policy_services
from policies.pdf import render_acknowledgement_report_pdf
from records import subject_access
from tests.factories import ChildFactory, ConsentRecordFactory, ConsentTypeFactory, GuardianFactory
from tests.pdf_text import (
    RTL_WORDS,
    WELSH_AND_RTL,
    WELSH_AND_RTL_MARKERS,
    assert_in_order,
    assert_no_overprint,
    assert_present,
    long_word,
    numbered_words,
    pdf_text,
    short_lines,
)

pytestmark = pytest.mark.django_db


def long_content(prefix: str, length: int = 20_000) -> tuple[str, list[str]]:
    """An account of ``length`` characters, a 10,000-character word, 2,500 short
    lines and Welsh, Hebrew and Arabic, one after the other, with their markers."""
    prose, prose_markers = numbered_words(f"{prefix}p", length)
    word, word_markers = long_word(f"{prefix}w", 10_000)
    lines, line_markers = short_lines(f"{prefix}l", 2_500)
    text = "\n\n".join([prose, word, lines, WELSH_AND_RTL])
    return text, [*prose_markers, *word_markers, *line_markers, *WELSH_AND_RTL_MARKERS]


def read_back(content: bytes, markers: list[str], *furniture: str) -> str:
    """The words in order, and none drawn over another (a long name or time
    running into the next column, or a footer under the page number)."""
    assert_no_overprint(content)
    text = pdf_text(content, furniture=furniture)
    assert_in_order(text, markers)
    return text


# A long name: the longest a name field holds, as one word.
LONG_NAME = "Llanfairpwllgwyngyll" * 10


def test_the_consent_receipt_holds_a_long_explanation_and_any_name(organisation):
    explanation, markers = long_content("expl")
    consent_type = ConsentTypeFactory(
        organisation=organisation,
        code="custom_long",
        name=f"Gŵyl {LONG_NAME[:114]}",
        explanation=explanation,
    )
    record = ConsentRecordFactory(
        child=ChildFactory(organisation=organisation),
        consent_type=consent_type,
        typed_name=f"Siân ap Huw {LONG_NAME[:180]}",
        relationship="mam",
    )

    content = render_receipt_pdf([record])

    text = read_back(content, ["Siân", LONG_NAME[:180], "Gŵyl", LONG_NAME[:114], "Gŵyl", *markers])
    assert_present(text, RTL_WORDS)


def test_the_consent_summary_runs_to_many_pages_of_any_names(organisation, dana, client_for):
    child = ChildFactory(organisation=organisation, first_name="Siân", last_name="ap Huw")
    names = [f"Gwarcheidwad{n:03d} ŵŷ {LONG_NAME[: 100 + n % 50]}" for n in range(60)]
    names[7] = "Guardian007 שלום مرحبا"
    for name in names:
        ConsentRecordFactory(
            child=child, guardian=GuardianFactory(organisation=organisation, full_name=name)
        )

    response = client_for(dana).get(reverse("consent_summary_pdf", args=[child.pk]))

    assert response.status_code == 200
    markers = [name.split()[0] for name in names]
    text = read_back(response.content, ["Siân", *markers])
    assert "ŵŷ" in text
    assert AuditEvent.objects.filter(action="consent.summary_downloaded").count() == 1


def test_a_policy_version_of_any_length_downloads(organisation, bob, client_for):
    body, markers = long_content("pol")
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Polisi Diogelwch Ar-lein: gŵyl ac ŷd",
        category="online_safety",
        body=body,
        owner=bob,
    )

    response = client_for(bob).get(reverse("version_pdf", args=[draft.pk]))

    assert response.status_code == 200
    text = read_back(response.content, ["gŵyl", *markers])
    assert_present(text, RTL_WORDS)
    assert AuditEvent.objects.filter(action="policy.pdf_downloaded").count() == 1


def test_who_has_read_a_policy_lists_any_number_of_any_names(organisation, bob):
    draft = policy_services.policy_create(
        organisation=organisation, by=bob, title="Policy", category="online_safety", body="Text."
    )
    read_on = timezone.now()
    staff = [
        (User(full_name=f"Aelod{n:03d}ŵ Siân {LONG_NAME[: 50 + n]}", role=Role.STAFF), read_on)
        for n in range(150)
    ]
    staff.append((User(full_name="Rhif150 שלום مرحبا", role=Role.DSL), None))

    content = render_acknowledgement_report_pdf(draft, staff)

    read_back(content, [user.full_name.split()[0] for user, _when in staff])


def test_the_board_report_holds_long_policy_changes(organisation, bob, director, client_for):
    summary = f"Newidiadau: gŵyl ŷd â {LONG_NAME} שלום مرحبا"
    tail = "z" * (500 - len(summary) - 1)
    summary = f"{summary} {tail}"
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title=f"Polisi {LONG_NAME[:180]}",
        category="online_safety",
        body="Text.",
        owner=bob,
    )
    policy_services.version_approve(
        draft=draft, by=bob, approved_by_name="Helen Marsh", approved_on=timezone.localdate()
    )
    second = policy_services.draft_start(policy=draft.policy, by=bob)
    policy_services.draft_update(draft=second, by=bob, body="Text, again.", change_summary=summary)
    policy_services.version_approve(
        draft=second, by=bob, approved_by_name="Helen Marsh", approved_on=timezone.localdate()
    )
    start, end = dashboard.quarter_of(timezone.localdate())

    response = client_for(director).get(f"{reverse('board_report')}?start={start}&end={end}")

    assert response.status_code == 200
    read_back(
        response.content,
        ["Polisi", LONG_NAME[:180], "Newidiadau:", "gŵyl", "ŷd", LONG_NAME, "שלום", tail],
        re.escape("Board report: confidential"),
        r"Prepared by .* on \d+ \w+ \d{4} [\d:]+ [\w+:]+",
    )
    assert AuditEvent.objects.filter(action="dashboard.board_report").count() == 1


def test_a_subject_access_export_holds_a_long_chronology(organisation, alice, dana):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    account, markers = long_content("sar")
    incident = incident_services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(days=2),
        disclosed_at=timezone.now() - dt.timedelta(days=2),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )
    incident_services.chronology_add(
        incident=incident,
        by=dana,
        kind="note",
        text=account,
        happened_at=timezone.now() - dt.timedelta(days=1),
    )
    sar = subject_access.sar_record(
        organisation=organisation,
        requester="Huda Hassan",
        received_on=timezone.localdate(),
        by=dana,
        child=child,
    )

    archive = zipfile.ZipFile(
        io.BytesIO(subject_access.export_zip(sar, include_safeguarding=True, exporter=dana))
    )

    (name,) = [n for n in archive.namelist() if n.endswith("chronology.pdf")]
    text = read_back(
        archive.read(name),
        ["Anadultasked", *markers, "Concernraised"],
        re.escape("Confidential: safeguarding"),
        r"Exported by .* on \d+ \w+ \d{4} [\d:]+ [\w+:]+",
    )
    assert_present(text, RTL_WORDS)
