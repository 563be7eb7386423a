"""An image kept as evidence, seen by the DSL in the page: audited, never
cached, never for a nudes incident, a PDF still a download."""

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from audit.models import AuditEvent
from incidents import services
from incidents.models import Evidence
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def incident(alice):
    return services.incident_raise(
        reporter=alice,
        children=[],
        others_involved="A child at the Saturday group",
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked a child to move to a private app.",
        initial_risk="medium",
    )


@pytest.fixture
def image(incident, dana):
    return services.evidence_add(
        incident=incident, by=dana, name="chat.png", data=PNG, description="The chat"
    )


def test_the_preview_page_shows_the_image_and_is_audited(dana, image, client_for):
    response = client_for(dana).get(f"/incidents/evidence/{image.pk}/preview/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'src="/incidents/evidence/{image.pk}/image"' in page
    assert 'alt="Evidence image chat.png: The chat"' in page
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="evidence.previewed")
    assert (event.actor_id, event.object_id) == (dana.pk, str(image.incident_id))
    assert event.details == {"evidence": image.pk}


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("chat.png", PNG, "image/png"), ("a.jpg", JPEG, "image/jpeg")],
)
def test_the_image_is_served_inline_uncached_and_unsniffed(
    dana, deputy, incident, client_for, name, content, content_type
):
    evidence = services.evidence_add(incident=incident, by=dana, name=name, data=content)
    response = client_for(deputy).get(f"/incidents/evidence/{evidence.pk}/image")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="evidence.image_viewed")
    assert (event.actor_id, event.details) == (deputy.pk, {"evidence": evidence.pk})


def test_a_pdf_is_not_previewed_but_still_downloads(dana, incident, client_for):
    pdf = Evidence(
        organisation_id=incident.organisation_id,
        incident=incident,
        original_name="report.pdf",
        kind="pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        uploaded_by=dana,
    )
    pdf.file.save("report.pdf", ContentFile(PDF), save=False)
    pdf.save()
    client = client_for(dana)
    assert client.get(f"/incidents/evidence/{pdf.pk}/preview/").status_code == 404
    assert client.get(f"/incidents/evidence/{pdf.pk}/image").status_code == 404
    assert client.get(f"/incidents/evidence/{pdf.pk}/download/").status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="evidence.").exists()


def test_the_incident_page_links_a_preview_for_images_only(dana, incident, image, client_for):
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/incidents/evidence/{image.pk}/preview/" in page


def test_nobody_else_sees_it(alice, charlie, director, dana, image, client_for):
    other_dsl = UserFactory(organisation=charlie.organisation, role="dsl")
    for url in (
        f"/incidents/evidence/{image.pk}/preview/",
        f"/incidents/evidence/{image.pk}/image",
    ):
        # Another organisation, the reporter (not shared with) and a director: 404.
        for person in (charlie, other_dsl, alice, director):
            assert client_for(person).get(url).status_code == 404, (person, url)
    assert not AuditEvent.objects.filter(action__startswith="evidence.").exists()


def test_a_nudes_incidents_file_stored_before_the_rule_is_never_shown(dana, client_for):
    incident = IncidentFactory(organisation=dana.organisation, incident_type="nude_images")
    # As an upload from before files were refused for nudes incidents left it.
    old = Evidence(
        organisation_id=incident.organisation_id,
        incident=incident,
        original_name="photo.png",
        kind="png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG).hexdigest(),
        uploaded_by=dana,
    )
    old.file.save("photo.png", ContentFile(PNG), save=False)
    old.save()
    client = client_for(dana)
    assert client.get(f"/incidents/evidence/{old.pk}/preview/").status_code == 404
    assert client.get(f"/incidents/evidence/{old.pk}/image").status_code == 404
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/incidents/evidence/{old.pk}/preview/" not in page
