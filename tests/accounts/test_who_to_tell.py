"""Who to tell: the DSL, deputies and the online-presence lead, with the urgent
route and the 999 line, on staff pages, parents' pages and parents' emails."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.directory import IMMEDIATE_DANGER, who_to_tell
from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from consent import services as consent
from consent.models import ConsentType
from tests.factories import ChildFactory, UserFactory, practice_rules_off

pytestmark = pytest.mark.django_db

DANA_PHONE = "01234 567890"


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def alder(organisation, dana, deputy, alice):
    dana.phone = DANA_PHONE
    dana.save(update_fields=["phone"])
    organisation.urgent_route = "Not social media: call 01234 000111 (9am to 5pm)."
    organisation.online_presence_lead = alice
    organisation.save(update_fields=["urgent_route", "online_presence_lead"])
    return organisation


@pytest.fixture
def birch_dsl(other_organisation):
    return UserFactory(
        organisation=other_organisation,
        role=Role.DSL,
        full_name="Bertha Birchwood",
        email="bertha@birch.test",
        phone="09999 888777",
    )


def test_the_directory_lists_the_leads_dsl_first_and_only_current_ones(alder, dana, deputy, alice):
    UserFactory(organisation=alder, role=Role.DSL, full_name="Old Lead", is_active=False)
    found = who_to_tell(alder)
    assert [c.name for c in found.contacts] == [dana.full_name, deputy.full_name, alice.full_name]
    assert found.contacts[0].phone == DANA_PHONE
    assert found.contacts[0].title == "Designated Safeguarding Lead"
    assert found.contacts[2].title == "Online-presence lead"
    assert (
        found.immediate_danger
        == IMMEDIATE_DANGER
        == ("If a child is in immediate danger, call 999.")
    )


def test_staff_see_the_directory_on_home_and_its_own_page_linked_from_every_page(
    alder, alice, birch_dsl, client_for
):
    browser = client_for(alice)
    for url in ("/", "/who-to-tell/"):
        page = browser.get(url).content.decode()
        assert DANA_PHONE in page
        assert IMMEDIATE_DANGER in page
        assert "Not social media: call 01234 000111" in page
        assert 'aria-labelledby="who-to-tell-heading"' in page
        assert "Bertha" not in page
        assert "09999 888777" not in page
    assert 'href="/who-to-tell/"' in browser.get("/policies/").content.decode()


def test_the_other_organisations_staff_see_their_own_dsl_only(alder, birch_dsl, client_for):
    page = client_for(birch_dsl).get("/who-to-tell/").content.decode()
    assert "09999 888777" in page
    assert DANA_PHONE not in page
    assert "Dana" not in page


def test_a_parent_sees_the_directory_in_the_email_and_on_the_consent_page(
    alder, dana, birch_dsl, django_capture_on_commit_callbacks
):
    practice_rules_off(alder)
    child = ChildFactory(organisation=alder, first_name="Noor", last_name="Hassan")
    link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    consent.consent_types_ensure(organisation=alder)
    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_request_send(
            child=child,
            guardians=[link.guardian],
            consent_types=[ConsentType.objects.get(code="online_sessions")],
            by=dana,
        )
    email = mail.outbox[-1]
    for body in (email.body, email.alternatives[0][0]):
        assert DANA_PHONE in body
        assert IMMEDIATE_DANGER in body
        assert "Dana Douglas" in body
        assert "09999 888777" not in body
        assert "Bertha" not in body
    path = re.search(r"http://testserver(/c/\S+/)", email.body).group(1)
    parent = Client()
    page = parent.get(path, follow=True).content.decode()
    assert "Consent for Noor Hassan" in page
    assert DANA_PHONE in page
    assert IMMEDIATE_DANGER in page
    assert "Not social media: call 01234 000111" in page
    assert "09999 888777" not in page


def test_a_link_that_no_longer_works_still_gives_the_999_line():
    page = Client().get("/c/not-a-real-token/").content.decode()
    assert IMMEDIATE_DANGER in page


def test_an_admin_changes_the_lead_and_route_audited(alder, bob, alice, dana, client_for):
    browser = client_for(bob)
    response = browser.post(
        "/who-to-tell/change/",
        {"online_presence_lead": dana.pk, "urgent_route": "Call 0800 111 222."},
    )
    assert response.status_code == 302
    alder.refresh_from_db()
    assert (alder.online_presence_lead, alder.urgent_route) == (dana, "Call 0800 111 222.")
    event = AuditEvent.objects.get(action="organisation.settings_changed", actor=bob)
    assert event.details["changed"]["urgent_route"]["to"] == "Call 0800 111 222."
    assert browser.get("/who-to-tell/change/").status_code == 200


def test_the_lead_must_be_one_of_the_organisations_current_staff(alder, bob, birch_dsl, client_for):
    page = client_for(bob).post(
        "/who-to-tell/change/", {"online_presence_lead": birch_dsl.pk, "urgent_route": ""}
    )
    assert page.status_code == 200
    assert "There is a problem" in page.content.decode()
    alder.refresh_from_db()
    assert alder.online_presence_lead_id != birch_dsl.pk


def test_only_admins_change_the_directory(alder, alice, dana, client_for):
    for user in (alice, dana):
        assert client_for(user).get("/who-to-tell/change/").status_code == 403


def test_phones_are_changed_by_their_holder_or_an_admin_audited(
    alder, bob, dana, alice, charlie, client_for
):
    assert client_for(dana).post("/account/phone/", {"phone": "07700 900123"}).status_code == 302
    dana.refresh_from_db()
    assert dana.phone == "07700 900123"
    assert (
        client_for(bob).post(f"/staff/{dana.pk}/phone/", {"phone": "+44 1234 5678"})["Location"]
        == f"/staff/{dana.pk}/"
    )
    dana.refresh_from_db()
    assert dana.phone == "+44 1234 5678"
    assert AuditEvent.objects.filter(action="staff.phone_changed").count() == 2
    page = client_for(dana).post("/account/phone/", {"phone": "call me <b>"}).content.decode()
    assert "Enter a phone number using digits, spaces and + only." in page
    # As on every staff-management page, a non-admin finds no such member of staff.
    assert client_for(alice).get(f"/staff/{dana.pk}/phone/").status_code == 404
    assert client_for(charlie).get(f"/staff/{dana.pk}/phone/").status_code == 404
