"""Every upload in the portal, sent a decompression bomb or a PDF with active content.

Each is refused with a message next to its field (never a 500) and nothing is
saved; an ordinary document still goes through the same door.
"""

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import User
from children import services as caseload
from compliance.models import TrainingRecord
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentType
from incidents import services as incident_services
from incidents.models import Evidence, Incident
from policies.models import Policy
from practice import services as practice_services
from practice.models import TaskCompletion
from tests.factories import ChildFactory
from tests.hostile_files import HOSTILE_PDFS, docx_bomb, plain_docx, plain_pdf

pytestmark = pytest.mark.django_db

ACTIVE = "could run on the computer of whoever opens it"


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    consent_services.consent_types_ensure(organisation=organisation)
    return child


def _field_error(response, field: str) -> str:
    assert response.status_code == 200, response.status_code
    # Most pages have one form; a staff member's compliance page has one for training too.
    forms = [response.context.get(name) for name in ("form", "training_form")]
    form = next(form for form in forms if form is not None and field in form.fields)
    return " ".join(form.errors[field])


# --- one function per upload path: (client, file name, content) -> response -------------------


def post_paper_scan(client: Client, child, name: str, content: bytes):
    guardian = child.guardian_links.get().guardian
    return client.post(
        f"/children/{child.pk}/consent/paper/",
        {
            "guardian": guardian.pk,
            "consent_types": [ConsentType.objects.get(code="online_sessions").pk],
            "signed_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "signed_by": "Huda Hassan",
            "scan": SimpleUploadedFile(name, content),
        },
    )


def post_concern(client: Client, child, name: str, content: bytes):
    now = timezone.localtime()
    return client.post(
        "/incidents/new/",
        {
            "children": [child.pk],
            "occurred_at": (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "disclosed_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "category": "conduct",
            "incident_type": "cyberbullying",
            "what_happened": "Messages mocking Noor were shared in a group.",
            "initial_risk": "low",
            "evidence": SimpleUploadedFile(name, content),
        },
    )


def post_evidence(client: Client, child, name: str, content: bytes):
    incident = Incident.objects.first()
    return client.post(
        f"/incidents/{incident.pk}/evidence/new/",
        {"evidence": SimpleUploadedFile(name, content), "description": "The group chat"},
    )


def post_policy(client: Client, child, name: str, content: bytes):
    return client.post(
        "/policies/import/",
        {"file": SimpleUploadedFile(name, content), "category": "online_safety"},
    )


def post_task_evidence(client: Client, child, name: str, content: bytes):
    task = practice_services.tasks_ensure(organisation=child.organisation)[0]
    return client.post(
        f"/practice/tasks/{task.pk}/done/",
        {
            "done_on": timezone.localdate().isoformat(),
            "evidence_file": SimpleUploadedFile(name, content),
        },
    )


def post_certificate(client: Client, child, name: str, content: bytes):
    alice = User.objects.get(email="alice@alder.test")
    return client.post(
        f"/staff/{alice.pk}/compliance/",
        {
            "training-kind": "ai_risks",
            "training-completed_on": timezone.localdate().isoformat(),
            "training-delivery": "external",
            "training-certificate": SimpleUploadedFile(name, content),
        },
    )


PATHS: dict[str, tuple[Callable[..., object], str, str, Callable[[], int]]] = {
    # path: (post, who, field, how many records it would have saved)
    "paper consent scan": (post_paper_scan, "dana", "scan", ConsentRecord.objects.count),
    "concern evidence": (post_concern, "alice", "evidence", Evidence.objects.count),
    "added evidence": (post_evidence, "dana", "evidence", Evidence.objects.count),
    "policy import": (post_policy, "bob", "file", Policy.objects.count),
    "task evidence": (post_task_evidence, "dana", "evidence_file", TaskCompletion.objects.count),
    "training certificate": (post_certificate, "bob", "certificate", TrainingRecord.objects.count),
}


@pytest.fixture
def upload(request, child, alice, dana, bob, client_for):
    """Post a file to one path as the person who uses it; an incident exists to add to."""
    post, who, field, saved = PATHS[request.param]
    incident_services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        disclosed_at=timezone.now() - dt.timedelta(hours=1),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )
    client = client_for({"alice": alice, "dana": dana, "bob": bob}[who])
    incidents_before = Incident.objects.count()
    saved_before = saved()

    def send(name: str, content: bytes):
        return post(client, child, name, content)

    send.field = field  # type: ignore[attr-defined]
    send.nothing_saved = lambda: (  # type: ignore[attr-defined]
        saved() == saved_before and Incident.objects.count() == incidents_before
    )
    return send


@pytest.mark.parametrize("upload", sorted(PATHS), indirect=True)
@pytest.mark.parametrize("kind", sorted(HOSTILE_PDFS))
def test_a_pdf_with_active_content_is_refused_at_every_upload(upload, kind: str) -> None:
    response = upload("scan.pdf", HOSTILE_PDFS[kind]())
    assert ACTIVE in _field_error(response, upload.field)
    assert upload.nothing_saved()


@pytest.mark.parametrize("upload", sorted(PATHS), indirect=True)
def test_an_ordinary_pdf_still_passes_every_upload(upload) -> None:
    response = upload(
        "scan.pdf", plain_pdf(("Online Safety Policy", "Version 2", "Approved 01/09/2025"))
    )
    if upload.field == "file":  # the policy import shows what it read, to confirm
        assert response.status_code == 200
        assert "token" in response.context["form"].fields
    else:
        assert response.status_code == 302
        assert not upload.nothing_saved()


def test_the_docx_bomb_is_refused_next_to_the_field(bob, client_for) -> None:
    response = post_policy(client_for(bob), None, "policy.docx", docx_bomb())
    message = _field_error(response, "file")
    assert "too large to read once unpacked" in message
    page = response.content.decode()
    assert "too large to read once unpacked" in page
    assert "govuk-error-summary" in page
    assert not Policy.objects.exists()


def test_an_ordinary_docx_policy_is_read(bob, client_for) -> None:
    response = post_policy(
        client_for(bob),
        None,
        "policy.docx",
        plain_docx(("Online Safety Policy", "Version 3", "Approved 01/09/2025")),
    )
    assert response.status_code == 200
    assert 'value="Online Safety Policy"' in response.content.decode()
    assert 'value="v3"' in response.content.decode()


def test_a_docx_bomb_as_task_evidence_is_refused_next_to_the_field(
    organisation, dana, client_for
) -> None:
    task = practice_services.tasks_ensure(organisation=organisation)[0]
    response = client_for(dana).post(
        f"/practice/tasks/{task.pk}/done/",
        {
            "done_on": timezone.localdate().isoformat(),
            "evidence_file": SimpleUploadedFile("minutes.docx", docx_bomb()),
        },
    )
    assert "too large to read once unpacked" in _field_error(response, "evidence_file")
    assert not TaskCompletion.objects.exists()
