"""The contact log's online-practice rules: a contact that breaks one is saved all
the same, with each breach named, a reason asked for and the DSL told; a
compliant contact is saved and flags nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentType
from incidents.models import Incident
from notices import engine as reminders
from notices.models import Notice
from practice import services as practice
from practice.contact_log import contact_log
from practice.models import (
    ContactLog,
    DeviceAttestation,
    FollowUp,
    PlannedSession,
    PracticeSettings,
)
from tests.auth import force_verified_login
from tests.factories import ChildFactory, ConsentRecordFactory, UserFactory, cleared_for_online_work

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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
    cleared_for_online_work(alice, by=bob)
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
    cleared_for_online_work(colleague, by=bob)
    return {
        "child": child,
        "zoom": zoom,
        "chat": chat,
        "phone": phone,
        "colleague": colleague,
        "huda": link.guardian,
    }


def planned(world, alice, at: dt.datetime, channel: str = "video") -> PlannedSession:
    """A session planned beforehand (made directly: planning refuses a past time)."""
    return PlannedSession.objects.create(
        organisation=world["child"].organisation,
        child=world["child"],
        staff=alice,
        planned_for=at,
        channel=channel,
        allowed=True,
    )


def video(world, alice, **overrides):
    when = overrides.get("happened_at", last_weekday_at(10))
    fields = {
        "child": world["child"],
        "staff": alice,
        "channel": "video",
        "happened_at": when,
        "purpose": "Weekly music therapy session",
        "approved_platform": world["zoom"],
        "parent_present": world["huda"],
        "parent_contacted_start": True,
        "parent_contacted_end": True,
        "second_staff": world["colleague"],
        "single_use_link": True,
        "passcode": True,
        "waiting_room": True,
        "camera_verified": True,
    }
    fields.update(overrides)
    if "plan" not in overrides:
        fields["plan"] = planned(world, alice, when, fields["channel"])
    return contact_log(**fields)


def flagged(world, alice, code, **overrides):
    """Log a contact that breaks a rule: it is refused until a reason is given,
    then saved with the breach named."""
    with pytest.raises(ValidationError) as error:
        video(world, alice, **overrides)
    assert "override_reason" in error.value.error_dict, error.value.error_dict
    contact = video(world, alice, override_reason="The child needed the session.", **overrides)
    codes = [breach["code"] for breach in contact.breaches]
    assert code in codes, codes
    return contact


def refused(world, alice, field, **overrides):
    with pytest.raises(ValidationError) as error:
        video(world, alice, override_reason="Needed.", **overrides)
    assert field in error.value.error_dict, error.value.error_dict
    return error.value.error_dict[field][0].messages[0]


def told(dana, kind="contact.breach"):
    return [notice.title for notice in Notice.objects.filter(recipient=dana, ledger__kind=kind)]


def test_a_compliant_video_session_is_saved_and_flags_nothing(world, alice, dana):
    contact = video(world, alice)
    assert contact.breaches == []
    assert contact.consent_allowed
    assert not contact.out_of_hours
    assert contact.second_staff == world["colleague"]
    assert contact.plan is not None
    assert Notice.objects.filter(recipient=dana).count() == 0


def test_a_session_that_broke_a_rule_is_saved_flagged_and_the_dsl_told(world, alice, dana):
    contact = flagged(world, alice, "no_second_staff", second_staff=None)
    assert ContactLog.objects.count() == 1
    assert contact.override_reason == "The child needed the session."
    assert any("No second member of staff" in title for title in told(dana))


def test_a_purpose_is_required(world, alice):
    flagged(world, alice, "no_purpose", purpose="  ")


def test_only_approved_assessed_platforms(world, alice, bob):
    flagged(world, alice, "platform_not_approved", approved_platform=world["chat"])
    flagged(world, alice, "platform_not_approved", approved_platform=None)


def test_video_safeguards_each_named(world, alice):
    contact = flagged(
        world,
        alice,
        "parent_not_contacted_end",
        parent_contacted_end=False,
        camera_verified=False,
        passcode=False,
        waiting_room=False,
        single_use_link=False,
    )
    codes = {breach["code"] for breach in contact.breaches}
    assert {"no_camera_check", "no_passcode", "no_waiting_room", "link_reused"} <= codes
    assert "someone else" in refused(world, alice, "second_staff", second_staff=alice)


def test_contact_outside_working_hours_is_flagged_to_the_dsl(world, alice, dana):
    contact = flagged(world, alice, "out_of_hours", happened_at=last_weekday_at(21, 30))
    assert contact.out_of_hours
    assert any("Outside working hours" in title for title in told(dana))


def test_a_contact_outside_any_planned_session_is_flagged(world, alice):
    flagged(world, alice, "unscheduled", plan=None)


def test_phoning_a_child_is_flagged(world, alice):
    flagged(world, alice, "direct_child_contact", channel="phone", device=world["phone"])


def test_messages_must_copy_in_another_adult(world, alice, bob):
    flagged(world, alice, "not_copied", channel="email", approved_platform=None)
    copied = video(
        world,
        alice,
        channel="email",
        approved_platform=None,
        copied_guardians=[world["huda"]],
        copied_staff=[world["colleague"]],
    )
    assert copied.breaches == []
    assert list(copied.copied_guardians.all()) == [world["huda"]]
    assert list(copied.copied_staff.all()) == [world["colleague"]]


def test_phone_based_contact_needs_a_registered_attested_device(world, alice):
    PracticeSettings.objects.create(
        organisation=world["child"].organisation, never_phone_or_text_child=False
    )
    phone = {"channel": "phone", "approved_platform": None}
    flagged(world, alice, "not_work_device", **phone)
    assert video(world, alice, device=world["phone"], **phone).breaches == []
    lapsed = practice.device_register(staff=alice, description="Old work mobile", by=alice)
    # Attestations are never edited; this one was made 400 days ago.
    DeviceAttestation.objects.create(
        device=lapsed,
        attested_on=timezone.localdate() - dt.timedelta(days=400),
        by=alice,
        password_protected=True,
        kept_from_others=True,
    )
    flagged(world, alice, "not_work_device", device=lapsed, **phone)


def test_no_online_contact_without_a_current_dbs_check(world, alice):
    from compliance.models import DBSCheck

    DBSCheck.objects.filter(staff=alice).delete()
    flagged(world, alice, "staff_checks")


def test_a_removed_participant_needs_a_reason_and_opens_a_draft_incident(world, alice, dana):
    refused(world, alice, "removal_reason", participant_removed=True)
    contact = video(
        world,
        alice,
        participant_removed=True,
        removal_reason="An unknown adult joined using the link.",
    )
    incident = Incident.objects.get(reference=contact.incident_reference)
    assert list(incident.children.all()) == [world["child"]]
    assert "unknown adult" in incident.what_happened


def test_each_rule_can_be_turned_off(world, alice, organisation):
    PracticeSettings.objects.create(
        organisation=organisation,
        require_purpose=False,
        second_staff=False,
        approved_platforms_only=False,
        camera_check=False,
        require_dbs=False,
    )
    from compliance.models import DBSCheck

    DBSCheck.objects.filter(staff=alice).delete()
    contact = video(
        world, alice, purpose="", approved_platform=None, second_staff=None, camera_verified=False
    )
    assert contact.breaches == []


def test_an_unsolicited_contact_is_recorded_whatever_it_broke(world, alice, dana):
    # The child wrote on an app that is not approved: it happened, so it is logged
    # without a reason asked of anyone, and the DSL is told what it broke.
    contact = video(
        world, alice, channel="chat", approved_platform=None, purpose="", unsolicited=True
    )
    assert contact.unsolicited
    assert "platform_not_approved" in {breach["code"] for breach in contact.breaches}
    assert any("unsolicited" in title for title in told(dana))


def test_working_hours_are_the_organisations_whatever_the_clock(world, alice, organisation):
    # 10:00 on a Tuesday in Tokyo is 01:00 in London; the rule reads Tokyo's clock.
    organisation.timezone = "Asia/Tokyo"
    organisation.save()
    tokyo = dt.timezone(dt.timedelta(hours=9))
    when = last_weekday_at(10).replace(tzinfo=None)
    contact = video(world, alice, happened_at=when.replace(tzinfo=tokyo))
    assert not contact.out_of_hours


# --- the form ---------------------------------------------------------------------------------


def form_data(world, **overrides):
    data = {
        "happened_at": last_weekday_at(10).strftime("%Y-%m-%dT%H:%M"),
        "channel": "video",
        "with_whom": "child",
        "purpose": "Weekly music therapy session",
        "approved_platform": world["zoom"].pk,
        "parent_present": world["huda"].pk,
        "parent_contacted_start": "on",
        "parent_contacted_end": "on",
        "second_staff": world["colleague"].pk,
        "single_use_link": "on",
        "passcode": "on",
        "waiting_room": "on",
        "camera_verified": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def signed_in(user) -> Client:
    client = Client()
    force_verified_login(client, user)
    return client


def test_the_form_asks_for_a_reason_beside_its_field_listing_every_breach(world, alice):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url, form_data(world, purpose="", second_staff=None, approved_platform=None)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"override_reason"}
    message = errors["override_reason"][0]
    assert "No second member of staff." in message
    assert "No purpose given." in message
    assert "approved platform" in message
    page = response.content.decode()
    assert "There is a problem" in page
    assert ContactLog.objects.count() == 0
    # An unapproved platform is not even offered.
    offered = response.context["form"].fields["approved_platform"].queryset
    assert list(offered) == [world["zoom"]]


def test_the_form_saves_a_flagged_contact_and_names_each_breach(world, alice, dana):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url,
        form_data(world, second_staff=None, override_reason="Cal was off sick."),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/children/{world['child'].pk}/"
    page = response.content.decode()
    assert "Saved and flagged: No second member of staff" in page
    assert "the DSL has been told" in page
    contact = ContactLog.objects.get()
    assert "no_second_staff" in [breach["code"] for breach in contact.breaches]
    # The child's page shows it, in red, with its message.
    assert "govuk-tag--red" in page
    assert "Why it went ahead: Cal was off sick." in page


def test_copied_in_people_are_saved_and_listed(world, alice):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url,
        form_data(
            world,
            channel="email",
            approved_platform=None,
            parent_present=None,
            copied_staff=[world["colleague"].pk],
            copied_guardians=[world["huda"].pk],
            message_text="Hello Noor, see you on Tuesday.",
            override_reason="Emailed outside a plan.",
        ),
        follow=True,
    )
    contact = ContactLog.objects.get()
    assert list(contact.copied_staff.all()) == [world["colleague"]]
    assert list(contact.copied_guardians.all()) == [world["huda"]]
    assert contact.message_text == "Hello Noor, see you on Tuesday."
    assert "not_copied" not in [breach["code"] for breach in contact.breaches]
    assert "Copied in: Cal Colleague, Huda Hassan." in response.content.decode()


def test_a_colleague_of_another_organisation_cannot_be_copied_in(world, alice, charlie):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url, form_data(world, channel="email", copied_staff=[charlie.pk], override_reason="x")
    )
    assert response.status_code == 200
    assert "copied_staff" in response.context["form"].errors
    assert ContactLog.objects.count() == 0


def test_a_message_file_is_stored_privately_and_downloaded_only_by_permitted_staff(
    world, alice, dana, charlie, organisation
):
    url = f"/children/{world['child'].pk}/contacts/new/"
    upload = SimpleUploadedFile("../../etc/chat.png", PNG, content_type="image/png")
    response = signed_in(alice).post(
        url,
        form_data(
            world,
            channel="email",
            approved_platform=None,
            copied_guardians=[world["huda"].pk],
            message_file=upload,
            override_reason="Emailed outside a plan.",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    contact = ContactLog.objects.get()
    # Stored under a name of our making, not the sender's.
    assert contact.message_file.name.startswith("contact_messages/")
    assert ".." not in contact.message_file.name
    assert contact.message_file.name.endswith(".png")
    download = f"/contacts/{contact.pk}/message/"
    got = signed_in(dana).get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PNG
    assert got["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="contact.message_downloaded", actor=dana).exists()
    assert signed_in(charlie).get(download).status_code == 404
    unallocated = UserFactory(organisation=organisation, role=Role.STAFF)
    assert signed_in(unallocated).get(download).status_code == 404


def test_a_message_file_that_is_not_what_it_says_is_refused_beside_its_field(world, alice):
    url = f"/children/{world['child'].pk}/contacts/new/"
    upload = SimpleUploadedFile(
        "chat.png", b"MZ\x90\x00\x03 not an image", content_type="image/png"
    )
    response = signed_in(alice).post(
        url, form_data(world, channel="email", message_file=upload, override_reason="x")
    )
    assert response.status_code == 200
    assert "PDF, PNG, JPEG or text" in response.context["form"].errors["message_file"][0]
    assert ContactLog.objects.count() == 0


def test_a_camera_refusal_sets_a_follow_up_reminded_and_marked_done(world, alice, dana, bob):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url,
        form_data(
            world, camera_verified=None, camera_refused="on", override_reason="Not planned ahead."
        ),
        follow=True,
    )
    page = response.content.decode()
    assert "would not switch the camera on" in page
    assert "A follow-up is set for you" in page
    follow_up = FollowUp.objects.get()
    assert follow_up.owner == alice
    assert f"/follow-ups/{follow_up.pk}/done/" in page
    # Reminded the day before it is due, to its owner only.
    day_before = timezone.make_aware(
        dt.datetime.combine(follow_up.due_on - dt.timedelta(days=1), dt.time(9))
    )
    reminders.sweep(now=day_before)
    reminded = Notice.objects.filter(ledger__kind="practice.follow_up")
    assert [n.recipient for n in reminded] == [alice]
    # Another therapist may not close it; the owner must say what came of it.
    colleague = signed_in(world["colleague"])
    assert colleague.get(f"/follow-ups/{follow_up.pk}/done/").status_code == 404
    as_alice = signed_in(alice)
    empty = as_alice.post(f"/follow-ups/{follow_up.pk}/done/", {"outcome": " "})
    assert empty.status_code == 200
    assert "outcome" in empty.context["form"].errors
    done = as_alice.post(
        f"/follow-ups/{follow_up.pk}/done/", {"outcome": "Spoke to Huda; camera on next time."}
    )
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_by == alice
    assert follow_up.outcome == "Spoke to Huda; camera on next time."
    assert AuditEvent.objects.filter(action="contact.follow_up_done").exists()
    # Done is done: no second closing, no reminder after.
    again = as_alice.post(f"/follow-ups/{follow_up.pk}/done/", {"outcome": "Again"})
    assert "already" in again.content.decode()
    reminders.sweep(now=day_before + dt.timedelta(days=8))
    assert Notice.objects.filter(ledger__kind="practice.follow_up").count() == 1
    # The DSL may close anyone's.
    assert signed_in(dana).get(f"/follow-ups/{follow_up.pk}/done/").status_code == 200


def test_an_unsolicited_contact_is_logged_and_goes_on_to_the_incident_form(world, alice, dana):
    response = signed_in(alice).post(
        f"/children/{world['child'].pk}/contacts/new/",
        {
            "happened_at": last_weekday_at(11).strftime("%Y-%m-%dT%H:%M"),
            "channel": "email",
            "with_whom": "child",
            "purpose": "Noor emailed me a drawing",
            "unsolicited": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/new/?child={world['child'].pk}"
    assert ContactLog.objects.get().unsolicited


def test_a_contact_with_a_parent_names_which_parent(world, alice):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url, form_data(world, channel="phone", with_whom="parent", device=world["phone"].pk)
    )
    assert response.status_code == 200
    assert "guardian" in response.context["form"].errors


# --- retention --------------------------------------------------------------------------------


def test_anonymising_clears_the_message_copy_and_its_file(
    world, alice, settings, django_capture_on_commit_callbacks
):
    from practice.retention import CONTACT_LOGS

    contact = video(
        world,
        alice,
        channel="email",
        approved_platform=None,
        copied_guardians=[world["huda"]],
        message_text="Hello Noor.",
        message_file=SimpleUploadedFile("m.png", PNG, content_type="image/png"),
        permission_for="Arranging Tuesday",
        override_reason="Needed.",
    )
    stored = settings.MEDIA_ROOT / contact.message_file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        CONTACT_LOGS.anonymise(contact)
        # The file goes only once the decision is committed.
        assert stored.exists()
    contact.refresh_from_db()
    assert (contact.message_text, contact.permission_for, contact.message_file.name) == ("", "", "")
    assert not stored.exists()


def test_deleting_a_contact_takes_its_follow_ups_copies_and_file(
    world, alice, settings, django_capture_on_commit_callbacks
):
    from practice.retention import CONTACT_LOGS

    contact = video(
        world,
        alice,
        camera_verified=False,
        camera_refused=True,
        message_file=SimpleUploadedFile("m.png", PNG, content_type="image/png"),
        override_reason="Needed.",
    )
    email = video(
        world,
        alice,
        channel="email",
        approved_platform=None,
        copied_staff=[world["colleague"]],
        override_reason="Needed.",
    )
    assert email.copied_staff.exists()
    follow_up = contact.follow_ups.get()
    stored = settings.MEDIA_ROOT / contact.message_file.name
    with django_capture_on_commit_callbacks(execute=True):
        CONTACT_LOGS.delete(contact)
        CONTACT_LOGS.delete(email)
    assert not ContactLog.objects.filter(pk__in=[contact.pk, email.pk]).exists()
    assert not FollowUp.objects.filter(pk=follow_up.pk).exists()
    assert not FollowUp.history.filter(id=follow_up.pk).exists()
    assert not ContactLog.copied_staff.through.objects.filter(contactlog_id=email.pk).exists()
    assert not stored.exists()


def test_a_date_no_calendar_reaches_is_refused_beside_its_field(world, alice):
    url = f"/children/{world['child'].pk}/contacts/new/"
    response = signed_in(alice).post(
        url, form_data(world, happened_at="0001-01-01T00:00", permission_at="0001-01-01T00:00")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "2000 onwards" in errors["happened_at"][0]
    assert "2000 onwards" in errors["permission_at"][0]


def test_a_contact_with_a_child_whose_parent_has_not_agreed_is_logged_and_flagged(
    world, alice, bob, organisation
):
    from policies import services as policy_services

    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Code of conduct for parents and carers",
        category="conduct_parents",
        body="Be kind.",
        audience_parents=True,
    )
    policy_services.version_approve(
        draft=draft, by=bob, approved_on=timezone.localdate(), approved_by_name="The trustees"
    )
    contact = flagged(world, alice, "parents_not_agreed")
    assert contact.pk is not None
    assert [b["message"] for b in contact.breaches if b["code"] == "parents_not_agreed"] == [
        "Huda Hassan has not agreed to Code of conduct for parents and carers (v1)."
    ]
