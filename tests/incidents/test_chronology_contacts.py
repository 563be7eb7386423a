"""A contact in the child's chronology says who it was with, each rule it broke,
why it went ahead, a camera refusal and an unsolicited contact, on the page and
in the PDF a case conference reads."""

import datetime as dt

import pytest
from django.utils import timezone

from children import services as caseload
from practice.contact_log import contact_log
from practice.models import With
from tests.factories import ChildFactory
from tests.pdf_text import pdf_pages

pytestmark = pytest.mark.django_db

REASON = "The second therapist was off sick; Huda stayed in the room throughout."


@pytest.fixture
def child(organisation, alice, dana):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


@pytest.fixture
def mother(child, dana):
    return caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    ).guardian


@pytest.fixture
def contacts(child, mother, alice):
    """With every rule on: a video session without a second member of staff (and
    whatever else it broke) with a reason, a camera refusal, a call to the mother,
    and a chat the child started."""
    at = timezone.now() - dt.timedelta(days=2)
    contact_log(
        child=child,
        staff=alice,
        channel="video",
        happened_at=at,
        purpose="Weekly session",
        parent_present=mother,
        camera_refused=True,
        override_reason=REASON,
    )
    contact_log(
        child=child,
        staff=alice,
        channel="phone",
        happened_at=at + dt.timedelta(hours=1),
        with_whom=With.PARENT,
        guardian=mother,
        purpose="Arranging next week",
        override_reason="Arranged by phone.",
    )
    contact_log(
        child=child,
        staff=alice,
        channel="chat",
        happened_at=at + dt.timedelta(hours=2),
        unsolicited=True,
    )


def test_the_chronology_names_each_breach_and_who_the_contact_was_with(
    child, contacts, dana, client_for
):
    html = client_for(dana).get(f"/incidents/children/{child.pk}/chronology/").content.decode()
    assert "Broke: No second member of staff." in html
    assert f"Went ahead because: {REASON}" in html.replace("&#x27;", "'")
    assert "The child would not switch the camera on." in html
    assert "Huda Hassan was close by." in html
    assert "Video session with the child" in html
    assert "Phone call with Huda Hassan (parent or carer)" in html
    assert "Unsolicited: the child made contact." in html
    assert "(broke a practice rule)" in html


def test_the_chronology_pdf_names_each_breach_and_the_reason(child, contacts, dana, client_for):
    response = client_for(dana).get(f"/incidents/children/{child.pk}/chronology.pdf")
    text = " ".join(" ".join(page.split()) for page in pdf_pages(response.content))
    assert "Broke: No second member of staff." in text
    assert "Went ahead because: The second therapist was off sick" in text
    assert "The child would not switch the camera on." in text
    assert "Phone call with Huda Hassan (parent or carer)" in text


def test_a_contact_that_kept_every_rule_names_no_breach(child, mother, alice, organisation):
    from incidents.timeline import child_timeline
    from practice.models import PracticeSettings

    PracticeSettings.objects.create(
        organisation=organisation,
        **{
            field.name: False
            for field in PracticeSettings._meta.get_fields()
            if getattr(field, "get_internal_type", lambda: "")() == "BooleanField"
        },
    )
    contact_log(
        child=child,
        staff=alice,
        channel="email",
        happened_at=timezone.now() - dt.timedelta(days=1),
        with_whom=With.PARENT,
        guardian=mother,
    )
    (item,) = [item for item in child_timeline(child) if item.source == "Contact"]
    assert item.text == "Email with Huda Hassan (parent or carer)."
    assert item.kind == "Email"
