"""Training by kind, delivery and certificate, and the training each role needs
as the organisation sets it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from compliance import services as compliance
from compliance.models import RoleTrainingRequirement, TrainingKind, TrainingRecord
from tests.factories import UserFactory
from tests.hostile_files import HOSTILE_PDFS, plain_docx, plain_pdf

pytestmark = pytest.mark.django_db


def gaps(member) -> tuple[str, ...]:
    return compliance.compliance_for([member], member.organisation)[0].gaps


def requirements_form(current: dict[tuple[str, str], bool], **changes: bool) -> dict[str, str]:
    wanted = dict(current)
    for key, value in changes.items():
        role, kind = key.split("__")
        wanted[(role, kind)] = value
    return {f"{role}__{kind}": "on" for (role, kind), on in wanted.items() if on}


def test_turning_on_ai_risks_for_staff_shows_the_gap(organisation, alice, bob, client_for) -> None:
    ai = str(TrainingKind.AI_RISKS.label)
    assert ai not in gaps(alice)
    as_bob = client_for(bob)
    page = as_bob.get("/staff/training/roles/")
    assert page.status_code == 200
    html = page.content.decode()
    # Each box is labelled for a screen reader, and starts from the default.
    assert f"Staff needs {ai}" in html
    current = compliance.role_training_effective(organisation)
    assert current[(Role.STAFF, TrainingKind.SAFEGUARDING)] is True
    response = as_bob.post(
        "/staff/training/roles/", requirements_form(current, staff__ai_risks=True)
    )
    assert response.status_code == 302
    assert ai in gaps(alice)
    row = RoleTrainingRequirement.objects.get()
    assert (row.role, row.kind, row.required, row.changed_by) == ("staff", "ai_risks", True, bob)
    event = AuditEvent.objects.get(action="compliance.role_training_changed")
    assert event.details["changed"] == {"staff:ai_risks": {"from": False, "to": True}}
    # Saving again with nothing changed writes nothing.
    as_bob.post("/staff/training/roles/", requirements_form(current, staff__ai_risks=True))
    assert RoleTrainingRequirement.objects.count() == 1
    assert AuditEvent.objects.filter(action="compliance.role_training_changed").count() == 1
    assert "checked" in as_bob.get("/staff/training/roles/").content.decode()


def test_turning_off_a_default_requirement_removes_the_gap(organisation, alice, bob) -> None:
    therapy = str(TrainingKind.ONLINE_RISKS_THERAPY.label)
    assert therapy in gaps(alice)
    compliance.role_training_set(
        organisation=organisation,
        by=bob,
        wanted={(Role.STAFF, TrainingKind.ONLINE_RISKS_THERAPY): False},
    )
    assert therapy not in gaps(alice)
    assert TrainingKind.ONLINE_RISKS_THERAPY not in compliance.required_training([alice])[alice.pk]


def test_safeguarding_and_online_safety_cannot_be_switched_off(
    organisation, alice, bob, client_for
) -> None:
    """Online work is cleared on them: unticking would clear untrained staff."""
    safeguarding = str(TrainingKind.SAFEGUARDING.label)
    assert safeguarding in gaps(alice)
    current = compliance.role_training_effective(organisation)
    # A posted form without the box changes nothing: it is shown ticked and fixed.
    as_bob = client_for(bob)
    as_bob.post("/staff/training/roles/", requirements_form(current, staff__safeguarding=False))
    assert not RoleTrainingRequirement.objects.filter(kind="safeguarding").exists()
    assert "(always required)" in as_bob.get("/staff/training/roles/").content.decode()
    with pytest.raises(ValidationError, match="cannot be switched off"):
        compliance.role_training_set(
            organisation=organisation,
            by=bob,
            wanted={(Role.STAFF, TrainingKind.SAFEGUARDING): False},
        )
    # Nor does a row put there some other way.
    RoleTrainingRequirement.objects.create(
        organisation=organisation, role="staff", kind="safeguarding", required=False, changed_by=bob
    )
    assert safeguarding in gaps(alice)


def test_another_organisations_settings_do_not_apply(
    organisation, other_organisation, alice, charlie
) -> None:
    birch_staff = UserFactory(organisation=other_organisation)
    compliance.role_training_set(
        organisation=other_organisation,
        by=charlie,
        wanted={(Role.STAFF, TrainingKind.AI_RISKS): True},
    )
    with CaptureQueriesContext(connection) as queries:
        needed = compliance.required_training([alice, birch_staff])
    assert TrainingKind.AI_RISKS in needed[birch_staff.pk]
    assert TrainingKind.AI_RISKS not in needed[alice.pk]
    overrides = [q for q in queries if "roletrainingrequirement" in q["sql"]]
    assert len(overrides) == 1


def test_only_admins_set_what_each_role_needs(
    organisation, alice, dana, director, charlie, client_for
) -> None:
    for person in (alice, dana, director):
        assert client_for(person).get("/staff/training/roles/").status_code == 403
    client_for(charlie).post("/staff/training/roles/", {"staff__ai_risks": "on"})
    assert not RoleTrainingRequirement.objects.filter(organisation=organisation).exists()


def test_training_with_delivery_provider_and_certificate(
    organisation, alice, bob, director, charlie, client_for
) -> None:
    as_bob = client_for(bob)
    page = as_bob.get(f"/staff/{alice.pk}/compliance/").content.decode()
    assert 'value="misinformation"' in page
    assert 'value="ai_risks"' in page
    content = plain_pdf(("Certificate", "AI risks for practitioners"))
    response = as_bob.post(
        f"/staff/{alice.pk}/compliance/",
        {
            "training-kind": "ai_risks",
            "training-completed_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
            "training-delivery": "external",
            "training-provider": "Local safeguarding partnership",
            "training-certificate": SimpleUploadedFile("cert.pdf", content),
        },
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.exclude(kind="system").get(staff=alice)
    assert (record.delivery, record.provider) == ("external", "Local safeguarding partnership")
    assert record.certificate.name.startswith("training_certificates/")
    assert record.certificate.name.endswith(".pdf")
    url = f"/staff/training/{record.pk}/certificate/"
    assert url in as_bob.get(f"/staff/{alice.pk}/compliance/").content.decode()
    for person in (alice, bob, director):
        download = client_for(person).get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        assert download["Content-Type"] == "application/pdf"
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Cache-Control"] == "no-store"
    other = UserFactory(organisation=organisation)
    assert client_for(other).get(url).status_code == 404
    assert client_for(charlie).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="compliance.certificate_viewed").count() == 3


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cert.pdf", HOSTILE_PDFS["open action JavaScript"]()),
        ("cert.docx", plain_docx()),
        ("cert.pdf", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_a_certificate_not_a_pdf_or_picture_is_refused_beside_the_field(
    alice, bob, client_for, name, content
) -> None:
    response = client_for(bob).post(
        f"/staff/{alice.pk}/compliance/",
        {
            "training-kind": "safeguarding",
            "training-completed_on": timezone.localdate().isoformat(),
            "training-delivery": "internal",
            "training-certificate": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 200
    assert response.context["training_form"].errors["certificate"]
    assert "govuk-error-summary" in response.content.decode()
    assert not TrainingRecord.objects.exclude(kind="system").exists()
