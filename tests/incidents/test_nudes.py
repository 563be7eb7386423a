"""Nudes and semi-nudes (UKCIS 2024), sextortion included: no file is ever kept,
the guidance shows when it is reported, and a lead's rare decision to view the
imagery is recorded."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from children import services as caseload
from incidents import services
from incidents.models import (
    NUDE_IMAGERY_REFUSAL,
    ChronologyEntry,
    EntryKind,
    Evidence,
    Incident,
    ReferenceCounter,
)
from tests.factories import ChildFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WHAT_HAPPENED = "Noor said a photo of her was shared in a class group chat."


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def concern_post(child, **overrides):
    now = timezone.localtime()
    data = {
        "children": [child.pk],
        "occurred_at": (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "disclosed_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "category": "conduct",
        "incident_type": "nude_images",
        "platform": "Group chat",
        "what_happened": WHAT_HAPPENED,
        "initial_risk": "high",
    }
    data.update(overrides)
    return data


def nudes_incident(reporter, child, incident_type="nude_images"):
    return services.incident_raise(
        reporter=reporter,
        children=[child],
        occurred_at=ago(hours=3),
        disclosed_at=ago(hours=2),
        category="conduct",
        incident_type=incident_type,
        what_happened=WHAT_HAPPENED,
        initial_risk="high",
    )


def test_sextortion_is_a_nudes_incident_too():
    assert Incident(incident_type="nude_images").is_nude_imagery
    assert Incident(incident_type="sextortion").is_nude_imagery
    assert not Incident(incident_type="grooming").is_nude_imagery


# --- no file is kept


@pytest.mark.parametrize(
    ("incident_type", "name", "content"),
    [
        ("nude_images", "photo.png", PNG),
        ("nude_images", "scan.pdf", PDF),
        ("sextortion", "screenshot.png", PNG),
    ],
)
def test_the_concern_is_recorded_and_the_attached_file_is_not(
    alice, dana, child, client_for, tmp_path, incident_type, name, content
):
    upload = tmp_path / name
    upload.write_bytes(content)
    with upload.open("rb") as file:
        response = client_for(alice).post(
            "/incidents/new/",
            concern_post(child, incident_type=incident_type, evidence=file),
            follow=True,
        )
    # The concern stands: a rule about the file never loses what the reporter wrote.
    incident = Incident.objects.get()
    assert response.redirect_chain == [(f"/incidents/{incident.pk}/raised/", 302)]
    assert incident.what_happened == WHAT_HAPPENED
    assert not Evidence.objects.exists()
    # The reporter is told why the file went, and the DSL that it existed.
    page = response.content.decode()
    assert "The file you attached was not stored" in page
    [note] = ChronologyEntry.objects.filter(incident=incident, text__startswith="A file was")
    assert "not stored" in note.text
    assert note.composed is True
    assert incident.initial_risk == "high"  # and the leads were told as for any concern


def test_without_a_file_a_nudes_concern_is_raised(alice, child, client_for):
    response = client_for(alice).post("/incidents/new/", concern_post(child))
    incident = Incident.objects.get()
    assert response["Location"] == f"/incidents/{incident.pk}/raised/"
    assert incident.is_nude_imagery
    assert not ChronologyEntry.objects.filter(text__startswith="A file was").exists()


@pytest.mark.parametrize("incident_type", ["nude_images", "sextortion"])
def test_the_service_never_stores_a_file_offered_at_raising(alice, child, incident_type):
    incident = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(hours=3),
        disclosed_at=ago(hours=2),
        category="conduct",
        incident_type=incident_type,
        what_happened=WHAT_HAPPENED,
        initial_risk="high",
        evidence=("photo.png", PNG),
    )
    assert not Evidence.objects.filter(incident=incident).exists()
    assert ReferenceCounter.objects.get().last == 1


def test_imagery_stored_before_the_rule_is_never_downloaded_nor_exported(
    alice, dana, child, client_for
):
    incident = nudes_incident(alice, child)
    # As a file stored before nudes incidents refused them would be.
    evidence = Evidence.objects.create(
        organisation=incident.organisation,
        incident=incident,
        file="incident_evidence/old.png",
        original_name="old.png",
        kind="png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=alice,
    )
    assert client_for(dana).get(f"/incidents/evidence/{evidence.pk}/download/").status_code == 404
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/incidents/evidence/{evidence.pk}/download/" not in page
    assert "withheld" in page
    assert evidence.file_withheld_because


@pytest.mark.parametrize(("name", "content"), [("photo.png", PNG), ("scan.pdf", PDF)])
def test_adding_evidence_to_a_nudes_incident_is_refused(
    alice, dana, child, client_for, tmp_path, name, content
):
    incident = nudes_incident(alice, child)
    upload = tmp_path / name
    upload.write_bytes(content)
    page = client_for(dana).get(f"/incidents/{incident.pk}/evidence/new/").content.decode()
    assert "Do not upload, copy or screenshot the image" in page
    with upload.open("rb") as file:
        response = client_for(dana).post(
            f"/incidents/{incident.pk}/evidence/new/", {"evidence": file, "description": "x"}
        )
    assert response.status_code == 200
    assert response.context["form"].errors["evidence"] == [NUDE_IMAGERY_REFUSAL]
    assert not Evidence.objects.exists()
    # The service refuses it whoever calls it.
    with pytest.raises(ValidationError) as refused:
        services.evidence_add(incident=incident, by=dana, name=name, data=content)
    assert refused.value.message_dict == {"evidence": [NUDE_IMAGERY_REFUSAL]}
    assert not Evidence.objects.exists()
    assert not incident.chronology.filter(text__startswith="Evidence added").exists()


# --- the guidance, when it is reported


def test_the_raising_form_shows_the_guidance_beside_the_type_question(alice, child, client_for):
    page = client_for(alice).get("/incidents/new/").content.decode()
    guidance = page.index("data-nudes-guidance")
    # Right after the type question, before anything else is asked.
    assert page.index('name="incident_type"') < guidance < page.index('name="category"')
    assert "Do not view, copy, print, share or screenshot the image" in page
    assert "Tell the DSL now" in page
    assert "js/incident-form.js" in page  # reveals it when the type is chosen


def test_the_raised_page_repeats_the_steps_for_a_nudes_concern(alice, child, client_for):
    nudes = nudes_incident(alice, child, "sextortion")
    other = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(hours=3),
        disclosed_at=ago(hours=2),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )
    page = client_for(alice).get(f"/incidents/{nudes.pk}/raised/").content.decode()
    for step in (
        "Do not view, copy, print, share or screenshot the image",
        "Do not delete it",
        "Secure the device if you need to",
        "Tell the DSL now",
        "Do not contact the other people involved",
    ):
        assert step in page
    assert (
        "data-nudes-guidance"
        not in client_for(alice).get(f"/incidents/{other.pk}/raised/").content.decode()
    )


def test_the_incident_page_gives_the_referral_routes(alice, dana, child, client_for):
    incident = nudes_incident(alice, child)
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert "https://www.childline.org.uk/remove" in page
    assert "Report Remove" in page
    assert "CEOP" in page
    assert "Children&#x27;s social care" in page or "Children's social care" in page
    assert f"/incidents/{incident.pk}/imagery/view-decision/" in page
    grooming = IncidentFactory(organisation=dana.organisation, incident_type="grooming")
    other_page = client_for(dana).get(f"/incidents/{grooming.pk}/").content.decode()
    assert "childline.org.uk/remove" not in other_page


# --- a lead's decision to view the imagery


def test_a_decision_to_view_is_a_chronology_entry_and_an_audit_event(
    alice, dana, child, client_for
):
    incident = nudes_incident(alice, child)
    viewed = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/imagery/view-decision/",
        {
            "reason": "To judge whether an adult was involved, which Noor could not say",
            "others_present": "Dev Deputy, deputy DSL",
            "viewed_at": viewed.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    entry = ChronologyEntry.objects.get(incident=incident, kind=EntryKind.DECISION)
    assert entry.composed is True
    assert entry.author == dana
    assert entry.happened_at == viewed
    assert "Decision to view the imagery" in entry.text
    assert "which Noor could not say." in entry.text
    assert "Also present: Dev Deputy, deputy DSL." in entry.text
    event = AuditEvent.objects.get(action="incident.imagery_view_decided")
    assert event.object_id == str(incident.pk)
    assert event.details["entry"] == entry.pk


def test_a_decision_to_view_needs_a_reason(alice, dana, child, client_for):
    incident = nudes_incident(alice, child)
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/imagery/view-decision/",
        {"reason": "  ", "viewed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not ChronologyEntry.objects.filter(kind=EntryKind.DECISION).exists()
    assert not AuditEvent.objects.filter(action="incident.imagery_view_decided").exists()
    with pytest.raises(ValidationError):
        services.imagery_view_decision_record(
            incident=incident, by=dana, reason="", viewed_at=timezone.now()
        )


def test_only_leads_record_a_decision_and_only_for_a_nudes_incident(
    alice, dana, deputy, charlie, director, child, client_for
):
    incident = nudes_incident(alice, child)
    url = f"/incidents/{incident.pk}/imagery/view-decision/"
    assert client_for(dana).get(url).status_code == 200
    assert client_for(deputy).get(url).status_code == 200
    # The reporter sees their report, not the DSL's pages; others see nothing.
    assert client_for(alice).get(url).status_code == 404
    assert client_for(director).get(url).status_code == 404
    assert client_for(charlie).get(url).status_code == 404
    other_dsl = UserFactory(organisation=charlie.organisation, role="dsl")
    assert client_for(other_dsl).get(url).status_code == 404
    # Staff the DSL shared it with may read it, not decide on the imagery.
    shared = UserFactory(organisation=dana.organisation)
    services.incident_access_grant(incident=incident, staff=shared, by=dana)
    assert client_for(shared).get(url).status_code == 403
    # Any other incident has no imagery to decide about.
    grooming = IncidentFactory(organisation=dana.organisation, incident_type="grooming")
    assert (
        client_for(dana).get(f"/incidents/{grooming.pk}/imagery/view-decision/").status_code == 404
    )
    with pytest.raises(ValidationError):
        services.imagery_view_decision_record(
            incident=grooming, by=dana, reason="x", viewed_at=timezone.now()
        )
