"""What parents see of the service, set by an admin: the logo (a real PNG or
JPEG, at most 1 MB, stored re-encoded without its metadata, served publicly
with a safe type), contact details, the parents' first language and the lead's
title (which the who-to-tell directory then uses)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.directory import who_to_tell
from accounts.models import Role
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = {
    "contact_phone": "01234 567890",
    "contact_email": "hello@alder.test",
    "parent_language": "cy",
    "safeguarding_title": "person",
}


def image(kind: str, size: tuple[int, int] = (40, 20), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=kind, **save)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "Taken at 12 Secret Road"  # ImageDescription
    exif[0x013B] = "A. Photographer"  # Artist
    return image("JPEG", exif=exif.tobytes())


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_an_admin_sets_what_parents_see_audited(organisation, bob, client_for):
    browser = client_for(bob)
    assert browser.get("/who-to-tell/parents/").status_code == 200
    response = browser.post(
        "/who-to-tell/parents/", {**SETTINGS, "logo": upload("logo.jpg", jpeg_with_exif())}
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.contact_phone == "01234 567890"
    assert organisation.contact_email == "hello@alder.test"
    assert organisation.parent_language == "cy"
    assert organisation.safeguarding_title == "person"
    stored = organisation.logo.read()
    assert stored.startswith(b"\xff\xd8\xff")
    assert b"Secret Road" not in stored
    assert b"Photographer" not in stored
    with Image.open(io.BytesIO(stored)) as logo:
        assert logo.format == "JPEG"
        assert not logo.getexif()
    event = AuditEvent.objects.get(action="organisation.settings_changed", actor=bob)
    assert set(event.details["changed"]) == {*SETTINGS, "logo"}


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("logo.gif", image("GIF"), "must be a PNG or JPEG image"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"not really" * 20, "PNG or JPEG image that opens"),
        ("logo.png", b"<svg onload=alert(1)>", "PNG or JPEG image that opens"),
        ("logo.png", image("PNG") + b"\x00" * (1024 * 1024), "1 MB or smaller"),
    ],
)
def test_a_bad_logo_is_a_field_error_and_changes_nothing(
    organisation, bob, client_for, name, data, error
):
    response = client_for(bob).post(
        "/who-to-tell/parents/", {**SETTINGS, "logo": upload(name, data)}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert error in page
    organisation.refresh_from_db()
    assert not organisation.logo
    assert organisation.parent_language == "en-gb"
    assert not AuditEvent.objects.filter(action="organisation.settings_changed").exists()


def test_only_an_admin_changes_them(organisation, alice, dana, client_for):
    for person in (alice, dana):
        assert client_for(person).get("/who-to-tell/parents/").status_code == 403
        client_for(person).post("/who-to-tell/parents/", SETTINGS)
    organisation.refresh_from_db()
    assert organisation.parent_language == "en-gb"


def test_the_logo_is_served_publicly_as_an_image_only(organisation, bob, client_for):
    assert Client().get("/o/alder/logo").status_code == 404  # none yet
    client_for(bob).post(
        "/who-to-tell/parents/", {**SETTINGS, "logo": upload("l.png", image("PNG"))}
    )
    response = Client().get("/o/alder/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert Client().get("/o/no-such-service/logo").status_code == 404
    # It heads every parent page, under the service's own name.
    page = Client().get("/consent/manage/new-link/").content.decode()
    assert "/o/alder/logo" not in page  # no service known on this page
    organisation.refresh_from_db()
    client_for(bob).post("/who-to-tell/parents/", {**SETTINGS, "remove_logo": "on"})
    assert Client().get("/o/alder/logo").status_code == 404


def test_the_lead_title_and_language_reach_the_directory(organisation, bob, client_for):
    dsl = UserFactory(organisation=organisation, role=Role.DSL, full_name="Dana Douglas")
    deputy = UserFactory(organisation=organisation, role=Role.DEPUTY_DSL, full_name="Dev Deputy")
    client_for(bob).post("/who-to-tell/parents/", SETTINGS)
    organisation.refresh_from_db()
    titles = {c.name: c.title for c in who_to_tell(organisation).contacts}
    assert titles[dsl.full_name] == "Designated Safeguarding Person"
    assert titles[deputy.full_name] == "Deputy Designated Safeguarding Person"


def test_a_phone_photo_saved_as_mpo_is_stored_as_a_plain_jpeg(organisation, bob, client_for):
    """Pillow reads many phones' JPEGs as MPO (several JPEG frames in one file)."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (40, 20), (200, 30, 30)), Image.new("RGB", (40, 20))
    first.save(out, format="MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(out.getvalue())) as photo:
        assert photo.format == "MPO"
    response = client_for(bob).post(
        "/who-to-tell/parents/",
        {**SETTINGS, "logo": upload("photo.jpg", out.getvalue(), "image/jpeg")},
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    with Image.open(io.BytesIO(organisation.logo.read())) as logo:
        assert logo.format == "JPEG"
        assert getattr(logo, "n_frames", 1) == 1
        assert logo.getpixel((5, 5))[0] > 150  # the first frame, the red one
    assert Client().get("/o/alder/logo")["Content-Type"] == "image/jpeg"
