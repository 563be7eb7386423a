"""The media use log, the do-not-use list, and takedowns that list the uses
they must remove."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from children import services as caseload
from consent import services
from consent.models import ConsentType, MediaUse, TakedownTask
from notices.models import Notice
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

MEDIA = ("photos_internal", "photos_print", "photos_online")


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.SITE_URL = "http://testserver"


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
    services.consent_types_ensure(organisation=organisation)
    return child


def grant_online(child, by, capture, *codes: str) -> Client:
    """The parent signs online, granting these; returns their browser, on the manage page."""
    guardian = child.guardian_links.get().guardian
    with capture(execute=True):
        services.consent_request_send(
            child=child,
            guardians=[guardian],
            consent_types=[ConsentType.objects.get(code=code) for code in codes],
            by=by,
        )
    link = re.search(r"http://testserver(/c/\S+/)", mail.outbox[-1].body).group(1)
    parent = Client()
    parent.get(link)
    form = {"typed_name": "Huda Hassan", "relationship": "mother", "confirms_responsibility": "on"}
    for code in codes:
        form[f"item_{ConsentType.objects.get(code=code).current_version().pk}"] = "granted"
    assert parent.post("/consent/sign/", form)["Location"] == "/consent/sign/check/"
    with capture(execute=True):
        assert parent.post("/consent/sign/check/").status_code == 302
    manage = re.search(r"http://testserver(/m/\S+/)", mail.outbox[-1].body).group(1)
    parent.get(manage)
    parent.post("/consent/manage/continue/")
    return parent


def withdraw(parent: Client, child, code: str, capture) -> None:
    consent_type = ConsentType.objects.get(code=code)
    with capture(execute=True):
        parent.post(f"/consent/manage/withdraw/{child.pk}/{consent_type.pk}/")


def log_use(client: Client, child, **fields) -> object:
    form = {
        "kind": "photo",
        "where": "website",
        "description": "Open day post",
        "used_on": timezone.localdate().isoformat(),
        "reason_if_not_allowed": "",
        **fields,
    }
    return client.post(f"/children/{child.pk}/consent/media/", form)


def told(kind: str) -> set:
    return {notice.recipient for notice in Notice.objects.filter(ledger__kind=kind)}


def test_a_use_with_consent_in_force_is_logged_unflagged(
    child, alice, dana, client_for, django_capture_on_commit_callbacks
) -> None:
    grant_online(child, alice, django_capture_on_commit_callbacks, "photos_online")
    as_alice = client_for(alice)
    assert (
        f"/children/{child.pk}/consent/media/"
        in as_alice.get(f"/children/{child.pk}/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = log_use(as_alice, child, where="social")
    assert response.status_code == 302
    use = MediaUse.objects.get()
    assert use.consent_allowed is True
    assert use.consent_type.code == "photos_online"
    assert (use.recorded_by, use.reason_if_not_allowed) == (alice, "")
    assert told("consent.media_use_without_consent") == set()
    assert AuditEvent.objects.filter(action="consent.media_use_logged").count() == 1
    assert "Open day post" in as_alice.get(f"/children/{child.pk}/consent/media/").content.decode()


def test_a_use_without_consent_that_day_is_logged_flagged_and_the_dsl_told(
    child, alice, dana, deputy, client_for, django_capture_on_commit_callbacks
) -> None:
    # Consent to photos in our records does not cover print.
    grant_online(child, alice, django_capture_on_commit_callbacks, "photos_internal")
    with django_capture_on_commit_callbacks(execute=True):
        response = log_use(
            client_for(alice),
            child,
            where="print",
            reason_if_not_allowed="The leaflet went to print before the form came back.",
        )
    assert response.status_code == 302
    use = MediaUse.objects.get()
    assert use.consent_allowed is False
    assert use.consent_type.code == "photos_print"
    assert "no parent has given consent" in use.consent_reason
    assert use.reason_if_not_allowed.startswith("The leaflet went to print")
    assert told("consent.media_use_without_consent") == {dana, deputy}
    assert AuditEvent.objects.get(action="consent.media_use_logged").details["allowed"] is False


def test_a_use_is_judged_by_the_consent_in_force_on_the_day_it_was_used(
    child, alice, client_for, django_capture_on_commit_callbacks
) -> None:
    """Granted today: a use last week was still without consent."""
    grant_online(child, alice, django_capture_on_commit_callbacks, "photos_online")
    last_week = timezone.localdate() - dt.timedelta(days=7)
    response = log_use(client_for(alice), child, used_on=last_week.isoformat())
    assert response.status_code == 200
    assert "Consent was not in force that day" in response.content.decode()
    assert not MediaUse.objects.exists()


def test_a_missing_reason_is_an_error_beside_the_field(child, alice, client_for) -> None:
    response = log_use(client_for(alice), child)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_reason_if_not_allowed-error-1"' in html
    assert "no parent has given consent" in html
    assert not MediaUse.objects.exists()
    assert told("consent.media_use_without_consent") == set()
    # A date in the future goes beside its own field.
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = log_use(client_for(alice), child, used_on=tomorrow, reason_if_not_allowed="x")
    assert 'id="id_used_on-error-1"' in response.content.decode()
    assert not MediaUse.objects.exists()


def test_a_name_in_the_childs_own_records_needs_no_consent(child, alice, client_for) -> None:
    assert log_use(client_for(alice), child, kind="name", where="records").status_code == 302
    use = MediaUse.objects.get()
    assert (use.consent_allowed, use.consent_type) == (True, None)


def test_the_do_not_use_list_follows_a_withdrawal(
    child, alice, dana, client_for, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    as_dana = client_for(dana)
    # Never asked: on the list for every use.
    page = as_dana.get("/consent/do-not-use/").content.decode()
    assert f'data-child="{child.pk}"' in page
    parent = grant_online(child, alice, capture, *MEDIA)
    page = as_dana.get("/consent/do-not-use/").content.decode()
    assert f'data-child="{child.pk}"' not in page
    withdraw(parent, child, "photos_online", capture)
    page = as_dana.get("/consent/do-not-use/").content.decode()
    assert f'data-child="{child.pk}"' in page
    row = page[page.index(f'data-child="{child.pk}"') :]
    assert 'data-consent="photos_online"' in row
    assert 'data-consent="photos_print"' not in row.split("</tr>")[0]
    assert f"since {timezone.localdate():%-d %b %Y}" in row
    assert "/consent/do-not-use/" in page  # in the navigation


def test_the_do_not_use_list_shows_a_therapist_only_their_caseload(
    child, organisation, alice, director, client_for
) -> None:
    other = ChildFactory(organisation=organisation, first_name="Zed")
    page = client_for(alice).get("/consent/do-not-use/").content.decode()
    assert f'data-child="{child.pk}"' in page
    assert f'data-child="{other.pk}"' not in page
    assert client_for(director).get("/consent/do-not-use/").status_code == 403


def test_a_takedown_lists_its_uses_and_closing_it_marks_them_removed(
    child, alice, dana, client_for, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    parent = grant_online(child, alice, capture, *MEDIA)
    as_alice = client_for(alice)
    log_use(as_alice, child, where="website", description="Website gallery")
    log_use(as_alice, child, where="social", description="Open day post")
    log_use(as_alice, child, where="print", description="Spring leaflet")
    withdraw(parent, child, "photos_online", capture)
    task = TakedownTask.objects.get()
    page = as_alice.get(f"/children/{child.pk}/").content.decode()
    section = page[page.index("Takedown tasks") :]
    assert "Website gallery" in section
    assert "Open day post" in section
    assert "Spring leaflet" not in section  # print needs another consent, not withdrawn
    assert as_alice.post(f"/consent/takedowns/{task.pk}/done/").status_code == 302
    removed = MediaUse.objects.filter(removed_on=timezone.localdate(), removed_by=alice)
    assert sorted(removed.values_list("description", flat=True)) == [
        "Open day post",
        "Website gallery",
    ]
    assert MediaUse.objects.get(description="Spring leaflet").removed_on is None
    event = AuditEvent.objects.get(action="consent.takedown_done")
    assert sorted(event.details["uses_removed"]) == sorted(removed.values_list("pk", flat=True))


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organisations_child_is_404(child, alice, charlie, method, client_for) -> None:
    response = getattr(client_for(charlie), method)(f"/children/{child.pk}/consent/media/")
    assert response.status_code == 404
    assert not MediaUse.objects.exists()
    page = client_for(charlie).get("/consent/do-not-use/").content.decode()
    assert "Noor" not in page


def test_retention_keeps_a_use_still_up_and_lets_a_removed_one_go(child, alice, client_for) -> None:
    from consent.retention import MEDIA_USES

    as_alice = client_for(alice)
    log_use(as_alice, child, where="website", description="Still online", reason_if_not_allowed="x")
    log_use(as_alice, child, where="print", description="Taken down", reason_if_not_allowed="y")
    log_use(as_alice, child, kind="name", where="records", description="Session notes")
    long_ago = timezone.localdate() - dt.timedelta(days=5 * 365)
    MediaUse.objects.update(used_on=long_ago)
    MediaUse.objects.filter(description="Taken down").update(removed_on=long_ago)
    due = list(MEDIA_USES.due(child.organisation, 36, timezone.localdate()))
    assert sorted(d.obj.description for d in due) == ["Session notes", "Taken down"]
    taken_down = next(d.obj for d in due if d.obj.description == "Taken down")
    MEDIA_USES.anonymise(taken_down)
    taken_down.refresh_from_db()
    assert "y" not in (taken_down.description, taken_down.reason_if_not_allowed)
