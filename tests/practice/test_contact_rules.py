"""The contact log's online-practice rules: each refuses or flags a contact that
breaks it, and a compliant contact is saved."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from children import services as caseload
from compliance import services as compliance
from consent import services as consent_services
from consent.models import ConsentType
from incidents.models import Incident
from notices.models import Notice
from practice import services as practice
from practice.contact_log import contact_log
from practice.models import ContactLog, DeviceAttestation, PracticeSettings
from tests.auth import force_verified_login
from tests.factories import ChildFactory, ConsentRecordFactory, UserFactory

pytestmark = pytest.mark.django_db


def last_weekday_at(hour: int, minute: int = 0, weekday: int = 1) -> dt.datetime:
    """The most recent past given weekday (Tuesday by default) at a local time."""
    today = timezone.localdate()
    back = (today.weekday() - weekday) % 7 or 7
    day = today - dt.timedelta(days=back)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def world(organisation, alice, bob, dana):
    child = ChildFactory(organisation=organisation, first_name="Noor")
    caseload.allocation_start(
        child=child, staff=alice, starts_on=timezone.localdate() - dt.timedelta(days=30), by=dana
    )
    link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    consent_services.consent_types_ensure(organisation=organisation)
    for code in ("online_sessions", "messaging", "voice_messages", "direct_contact"):
        ConsentRecordFactory(
            child=child,
            consent_type=ConsentType.objects.get(organisation=organisation, code=code),
            guardian=link.guardian,
            valid_until=timezone.localdate() + dt.timedelta(days=300),
            recorded_at=timezone.now() - dt.timedelta(days=20),
        )
    compliance.dbs_check_record(
        staff=alice,
        by=bob,
        level="enhanced_barred",
        issued_on=timezone.localdate() - dt.timedelta(days=100),
    )
    zoom = practice.platform_add(
        organisation=organisation, name="Licensed video", kind="video", by=bob
    )
    practice.platform_assess(
        platform=zoom,
        by=dana,
        summary="Waiting rooms, no recording.",
        assessed_on=timezone.localdate() - dt.timedelta(days=10),
    )
    practice.platform_approval_set(platform=zoom, approved=True, by=bob)
    chat = practice.platform_add(
        organisation=organisation, name="Secure chat", kind="chat", by=bob, approved=False
    )
    phone = practice.device_register(staff=alice, description="Work mobile", by=alice)
    practice.device_attest(device=phone, by=alice, password_protected=True, kept_from_others=True)
    colleague = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    return {"child": child, "zoom": zoom, "chat": chat, "phone": phone, "colleague": colleague}


def video(world, alice, **overrides):
    fields = {
        "child": world["child"],
        "staff": alice,
        "channel": "video",
        "happened_at": last_weekday_at(10),
        "purpose": "Weekly music therapy session",
        "approved_platform": world["zoom"],
        "parent_contacted_start": True,
        "parent_contacted_end": True,
        "parent_present_start": True,
        "second_staff": world["colleague"],
        "single_use_link": True,
        "camera_verified": True,
    }
    fields.update(overrides)
    return contact_log(**fields)


def refused(world, alice, field, **overrides):
    with pytest.raises(ValidationError) as error:
        video(world, alice, **overrides)
    assert field in error.value.error_dict, error.value.error_dict
    return error.value.error_dict[field][0].messages[0]


def flagged_notices(dana):
    return list(Notice.objects.filter(recipient=dana, ledger__kind="contact.flagged"))


def test_a_compliant_video_session_is_saved_and_flags_nothing(world, alice, dana):
    contact = video(world, alice)
    assert contact.consent_allowed
    assert not contact.out_of_hours
    assert contact.second_staff == world["colleague"]
    assert flagged_notices(dana) == []


def test_a_purpose_is_required(world, alice):
    assert "what the contact was for" in refused(world, alice, "purpose", purpose="  ")


def test_only_approved_assessed_platforms(world, alice, bob):
    assert "approved platform" in refused(
        world, alice, "approved_platform", approved_platform=world["chat"]
    )
    assert "approved platform" in refused(world, alice, "approved_platform", approved_platform=None)
    # An approved platform whose assessment has lapsed is refused too.
    lapsed = practice.platform_add(
        organisation=world["zoom"].organisation,
        name="Old video",
        kind="video",
        by=bob,
        approved=True,
    )
    practice.platform_assess(
        platform=lapsed,
        by=bob,
        summary="Waiting rooms.",
        assessed_on=timezone.localdate() - dt.timedelta(days=366),
        review_due=timezone.localdate() - dt.timedelta(days=1),
    )
    assert lapsed.approved
    refused(world, alice, "approved_platform", approved_platform=lapsed)


def test_video_safeguards(world, alice):
    message = refused(
        world, alice, "parent_contacted_start", parent_contacted_end=False, camera_verified=False
    )
    assert "a parent contacted at the end" in message
    assert "cameras checked at introductions" in message
    refused(world, alice, "parent_contacted_start", single_use_link=False)
    refused(world, alice, "parent_contacted_start", second_staff=None)
    assert "someone else" in refused(world, alice, "second_staff", second_staff=alice)


def test_contact_outside_working_hours_is_flagged_to_the_dsl(world, alice, dana):
    contact = video(world, alice, happened_at=last_weekday_at(21, 30))
    assert contact.out_of_hours
    sunday = video(world, alice, happened_at=last_weekday_at(11, weekday=6))
    assert sunday.out_of_hours
    titles = [notice.title for notice in flagged_notices(dana)]
    assert len(titles) == 2
    assert all("outside working hours" in title for title in titles)


def test_messages_must_copy_in_another_adult(world, alice, bob):
    practice.platform_assess(
        platform=world["chat"], by=bob, summary="Secure, logged.", assessed_on=timezone.localdate()
    )
    practice.platform_approval_set(platform=world["chat"], approved=True, by=bob)
    chat = {"channel": "chat", "approved_platform": world["chat"]}
    assert "copied" in refused(world, alice, "copied_to", **chat)
    assert video(world, alice, copied_to="Huda Hassan (mother)", **chat).copied_to
    with pytest.raises(ValidationError) as error:
        video(world, alice, channel="email", approved_platform=None)
    assert "copied_to" in error.value.error_dict


def test_phone_contact_needs_a_registered_attested_device(world, alice, organisation):
    phone = {"channel": "phone", "approved_platform": None}
    refused(world, alice, "device", **phone)
    assert video(world, alice, device=world["phone"], **phone).device == world["phone"]
    # Someone else's device, or one whose attestation lapsed, is refused.
    other = practice.device_register(
        staff=world["colleague"], description="Cal's phone", by=world["colleague"]
    )
    refused(world, alice, "device", device=other, **phone)
    lapsed = practice.device_register(staff=alice, description="Old work mobile", by=alice)
    # Attestations are never edited; this one was made 400 days ago.
    DeviceAttestation.objects.create(
        device=lapsed,
        attested_on=timezone.localdate() - dt.timedelta(days=400),
        by=alice,
        password_protected=True,
        kept_from_others=True,
    )
    refused(world, alice, "device", device=lapsed, **phone)


def test_no_online_contact_without_a_current_dbs_check(world, alice, organisation):
    from compliance.models import DBSCheck

    DBSCheck.objects.filter(staff=alice).update(
        issued_on=timezone.localdate() - dt.timedelta(days=365 * 4)
    )
    assert "DBS" in refused(world, alice, "channel")
    DBSCheck.objects.filter(staff=alice).delete()
    refused(world, alice, "channel")


def test_an_unsolicited_contact_is_logged_and_the_dsl_told(world, alice, dana):
    client = Client()
    force_verified_login(client, alice)
    response = client.post(
        f"/children/{world['child'].pk}/contacts/new/",
        {
            "happened_at": last_weekday_at(11).strftime("%Y-%m-%dT%H:%M"),
            "channel": "email",
            "purpose": "Noor emailed me a drawing",
            "unsolicited": "on",
        },
    )
    # One step from logging it to raising a concern.
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/new/?child={world['child'].pk}"
    contact = ContactLog.objects.get()
    assert contact.unsolicited
    assert any("unsolicited" in notice.title for notice in flagged_notices(dana))


def test_a_removed_participant_needs_a_reason_and_opens_a_draft_incident(world, alice, dana):
    refused(world, alice, "removal_reason", participant_removed=True)
    contact = video(
        world,
        alice,
        participant_removed=True,
        removal_reason="An unknown adult joined using the link.",
    )
    incident = Incident.objects.get(reference=contact.incident_reference)
    assert incident.status == "new"
    assert list(incident.children.all()) == [world["child"]]
    assert "unknown adult" in incident.what_happened
    assert Notice.objects.filter(recipient=dana, ledger__kind="incidents.raised").exists()


def test_each_rule_can_be_turned_off(world, alice, organisation):
    PracticeSettings.objects.create(
        organisation=organisation,
        require_purpose=False,
        video_safeguards=False,
        approved_platforms_only=False,
        require_dbs=False,
    )
    from compliance.models import DBSCheck

    DBSCheck.objects.filter(staff=alice).delete()
    contact = video(
        world, alice, purpose="", approved_platform=None, second_staff=None, camera_verified=False
    )
    assert contact.pk


def test_the_contact_form_explains_each_refusal_beside_its_field(world, alice):
    client = Client()
    force_verified_login(client, alice)
    response = client.post(
        f"/children/{world['child'].pk}/contacts/new/",
        {
            "happened_at": last_weekday_at(10).strftime("%Y-%m-%dT%H:%M"),
            "channel": "video",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"purpose", "approved_platform", "parent_contacted_start"} <= set(errors)
    assert ContactLog.objects.count() == 0
    # An unapproved platform is not even offered.
    offered = response.context["form"].fields["approved_platform"].queryset
    assert list(offered) == [world["zoom"]]


def test_an_unsolicited_contact_is_recorded_whatever_it_broke(world, alice, dana):
    # The child wrote on an app that is not approved: it happened, so it is logged,
    # and the DSL is told what it broke.
    contact = video(
        world, alice, channel="chat", approved_platform=None, purpose="", unsolicited=True
    )
    assert contact.unsolicited
    title = flagged_notices(dana)[0].title
    assert "on a platform that is not approved" in title
    assert "no purpose given" in title


def test_working_hours_are_the_organisations_whatever_the_clock(world, alice, organisation):
    # 10:00 on a Tuesday in Tokyo is 01:00 in London; the rule reads Tokyo's clock.
    organisation.timezone = "Asia/Tokyo"
    organisation.save()
    tokyo = dt.timezone(dt.timedelta(hours=9))
    when = last_weekday_at(10).replace(tzinfo=None)
    contact = video(world, alice, happened_at=when.replace(tzinfo=tokyo))
    assert not contact.out_of_hours
