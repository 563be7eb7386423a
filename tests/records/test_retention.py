"""Retention: records past their period are queued once and reminded; a person
keeps, anonymises or deletes each; legal holds block both; safeguarding
deletions need a second person; nothing happens by itself."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from common.models import AppendOnlyError
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentType
from incidents import services as incident_services
from incidents.models import ChronologyEntry, Evidence, Incident, Referral
from notices import engine as reminders
from notices.models import Notice
from policies import services as policy_services
from policies.models import PolicyVersion
from practice.models import ContactLog
from records import retention
from records.models import LegalHold, RetentionReview
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def years_from_now(years: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=365 * years + 2)


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(
        organisation=organisation,
        first_name="Noor",
        last_name="Hassan",
        date_of_birth=dt.date(2000, 1, 10),
    )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    consent_services.consent_types_ensure(organisation=organisation)
    return child


def contact(child, staff, notes="Talked about the game chat."):
    return ContactLog.objects.create(
        organisation=child.organisation,
        child=child,
        staff=staff,
        happened_at=timezone.now() - dt.timedelta(days=10),
        channel="video",
        platform="Zoom",
        notes=notes,
        consent_type=ConsentType.objects.get(code="online_sessions"),
        consent_allowed=True,
        consent_reason="Granted",
    )


def concern(child, reporter):
    incident = incident_services.incident_raise(
        reporter=reporter,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        disclosed_at=timezone.now() - dt.timedelta(hours=1),
        category="contact",
        incident_type="grooming",
        what_happened="A stranger asked for photos.",
        initial_risk="high",
        evidence=("shot.png", PNG),
    )
    incident_services.referral_add(
        incident=incident,
        by=reporter,
        agency="police",
        referred_on=timezone.localdate(),
        family_consent="given",
        reference="CAD 1",
    )
    return incident


def review_of(obj) -> RetentionReview:
    return RetentionReview.objects.get(object_type=obj._meta.label_lower, object_id=str(obj.pk))


# --- queueing and reminding --------------------------------------------------------------


def test_a_record_past_its_period_is_queued_once_and_reminded(organisation, child, alice, bob):
    old = contact(child, alice)
    later = years_from_now(3)
    assert retention.queue_reviews(organisation=organisation, today=timezone.localdate()) == 0
    assert retention.queue_reviews(organisation=organisation, today=later) == 1
    assert retention.queue_reviews(organisation=organisation, today=later) == 0
    review = review_of(old)
    assert review.kind == "contact_logs"
    assert "game chat" not in review.description  # what it is, never what it says
    moment = timezone.make_aware(dt.datetime.combine(review.due_on, dt.time(9)))
    reminders.sweep(now=moment)
    reminders.sweep(now=moment + dt.timedelta(hours=1))
    sent = Notice.objects.filter(ledger__kind="retention.review")
    assert [(n.recipient, n.ledger.stage) for n in sent] == [(bob, "due")]
    # Still there: the sweep only queued and reminded.
    assert ContactLog.objects.filter(pk=old.pk).exists()


def test_the_celery_task_queues_for_every_organisation(organisation, child, alice, dana):
    from records.tasks import queue_retention_reviews

    contact(child, alice)  # ten days old: years to go
    concern(child, dana)  # Noor is over 25: due now
    assert queue_retention_reviews.delay().get() == 1
    assert queue_retention_reviews.delay().get() == 0


def test_an_admin_changes_a_period_and_everyone_sees_the_rule(
    organisation, bob, dana, alice, client_for
):
    response = client_for(bob).post("/retention/rules/contact_logs/", {"months": "48"})
    assert response.status_code == 302
    assert {k.code: m for k, m in retention.rules_for(organisation)}["contact_logs"] == 48
    page = client_for(dana).get("/retention/").content.decode()
    assert "Copies of contacts and messages" in page
    assert "4 years" in page
    assert (
        client_for(dana).post("/retention/rules/contact_logs/", {"months": "1"}).status_code == 403
    )
    assert client_for(alice).get("/retention/").status_code == 403
    bad = client_for(bob).post("/retention/rules/contact_logs/", {"months": "-3"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["months"]
    assert AuditEvent.objects.filter(action="retention.rule_changed").count() == 1


# --- keep, anonymise, delete ------------------------------------------------------------------


@pytest.fixture
def contact_review(organisation, child, alice):
    log = contact(child, alice)
    retention.queue_reviews(organisation=organisation, today=years_from_now(3))
    return review_of(log), log


def test_keep_sets_a_new_review_date_and_queues_again_then(
    organisation, contact_review, bob, client_for
):
    review, log = contact_review
    until = years_from_now(3) + dt.timedelta(days=30)
    response = client_for(bob).post(
        f"/retention/reviews/{review.pk}/",
        {
            "action": "keep",
            "keep-reason": "A complaint is open.",
            "keep-keep_until": until,
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.decision, review.keep_until, review.done_at is not None) == ("keep", until, True)
    assert AuditEvent.objects.filter(action="retention.kept", object_id=str(review.pk)).exists()
    assert (
        retention.queue_reviews(organisation=organisation, today=until - dt.timedelta(days=1)) == 0
    )
    assert retention.queue_reviews(organisation=organisation, today=until) == 1
    assert RetentionReview.objects.filter(object_id=str(log.pk), due_on=until).exists()


def test_anonymise_removes_words_and_keeps_the_statistics(contact_review, bob, client_for):
    review, log = contact_review
    client_for(bob).post(
        f"/retention/reviews/{review.pk}/",
        {
            "action": "anonymise",
            "anon-reason": "Period ended.",
        },
    )
    log.refresh_from_db()
    assert (log.notes, log.platform) == ("", "")
    assert (log.channel, log.consent_allowed) == ("video", True)
    assert AuditEvent.objects.filter(action="retention.anonymised").count() == 1


def test_delete_removes_the_record_and_the_audit_names_it_without_content(
    contact_review, bob, client_for
):
    review, log = contact_review
    client_for(bob).post(
        f"/retention/reviews/{review.pk}/",
        {
            "action": "delete",
            "delete-reason": "Period ended.",
        },
    )
    assert not ContactLog.objects.filter(pk=log.pk).exists()
    event = AuditEvent.objects.get(action="retention.deleted")
    assert f"contact log #{log.pk}" in event.details["deleted"]
    assert "game chat" not in str(event.details)


def test_only_the_right_reviewers_decide(contact_review, dana, client_for):
    review, _ = contact_review
    # Contact logs are the admin's to review, not the DSL's.
    assert client_for(dana).get(f"/retention/reviews/{review.pk}/").status_code == 403
    with pytest.raises(ValidationError):
        retention.review_delete(review=review, by=dana, reason="x")


def test_consent_records_change_only_through_a_decision(organisation, child, dana, bob):
    link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="",
        phone="0161 000 0000",
        preferred_contact="phone",
        relationship="mother",
        parental_responsibility=True,
    )
    from consent import records

    record = records.verbal_consent_record(
        child=child,
        guardian=link.guardian,
        consent_type=ConsentType.objects.get(code="online_sessions"),
        by=dana,
        notes="By phone",
    )
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=record.pk).update(typed_name="x")
    child.discharged_on = timezone.localdate()
    child.save()
    retention.queue_reviews(organisation=organisation, today=years_from_now(4))
    review = review_of(record)
    retention.review_anonymise(review=review, by=bob, reason="Three years after discharge.")
    record.refresh_from_db()
    assert (record.typed_name, record.notes) == ("[anonymised]", "")
    assert record.decision == "granted"


# --- safeguarding records: two people, and holds --------------------------------------------------


@pytest.fixture
def incident_review(organisation, child, dana):
    incident = concern(child, dana)
    # Noor turned 25 in January 2025: the child protection record is due for review.
    retention.queue_reviews(organisation=organisation)
    return review_of(incident), incident


def test_deleting_a_safeguarding_record_needs_a_second_person(
    incident_review, dana, deputy, client_for
):
    review, incident = incident_review
    retention.review_delete(review=review, by=dana, reason="Child is 25; nothing open.")
    assert Incident.objects.filter(pk=incident.pk).exists()
    with pytest.raises(ValidationError, match="second person"):
        retention.review_delete_confirm(review=review, by=dana)
    assert Incident.objects.filter(pk=incident.pk).exists()
    response = client_for(deputy).post(f"/retention/reviews/{review.pk}/confirm/")
    assert response.status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not ChronologyEntry.objects.filter(incident_id=incident.pk).exists()
    assert not Referral.objects.filter(incident_id=incident.pk).exists()
    assert not Evidence.objects.filter(incident_id=incident.pk).exists()
    event = AuditEvent.objects.get(action="retention.deleted")
    assert incident.reference in event.details["deleted"]
    assert "photos" not in str(event.details)


def test_anonymising_an_incident_keeps_its_kind_and_dates(incident_review, dana):
    review, incident = incident_review
    retention.review_anonymise(review=review, by=dana, reason="Kept for statistics only.")
    incident.refresh_from_db()
    assert incident.what_happened == "[anonymised]"
    assert (incident.incident_type, incident.category, incident.risk) == (
        "grooming",
        "contact",
        "high",
    )
    assert not incident.children.exists()
    assert set(incident.chronology.values_list("text", flat=True)) == {"[anonymised]"}
    assert not incident.history.exclude(what_happened="[anonymised]").exists()
    assert not Evidence.objects.filter(incident=incident).exists()


@pytest.mark.parametrize("scope", ["child", "incident", "organisation"])
def test_a_legal_hold_blocks_anonymising_and_deleting(
    incident_review, dana, deputy, scope, client_for
):
    review, incident = incident_review
    retention.legal_hold_place(
        organisation=incident.organisation,
        scope=scope,
        reason="Police investigation.",
        by=dana,
        child=incident.children.first(),
        incident_id=incident.pk,
        incident_reference=incident.reference,
    )
    with pytest.raises(ValidationError, match="legal hold"):
        retention.review_anonymise(review=review, by=dana, reason="x")
    with pytest.raises(ValidationError, match="legal hold"):
        retention.review_delete(review=review, by=dana, reason="x")
    incident.refresh_from_db()
    assert incident.what_happened == "A stranger asked for photos."
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Legal hold" in page


def test_a_hold_placed_after_the_request_still_stops_the_deletion(incident_review, dana, deputy):
    review, incident = incident_review
    retention.review_delete(review=review, by=dana, reason="x")
    hold = retention.legal_hold_place(
        organisation=incident.organisation,
        scope="child",
        child=incident.children.first(),
        reason="Inquiry.",
        by=deputy,
    )
    with pytest.raises(ValidationError, match="legal hold"):
        retention.review_delete_confirm(review=review, by=deputy)
    retention.legal_hold_release(hold=hold, reason="Inquiry closed.", by=deputy)
    retention.review_delete_confirm(review=review, by=deputy)
    assert not Incident.objects.filter(pk=incident.pk).exists()


def test_a_released_incident_hold_keeps_its_reference_when_the_incident_goes(
    incident_review, dana, deputy
):
    """The hold's foreign key must not stop a decided deletion once released."""
    review, incident = incident_review
    hold = retention.legal_hold_place(
        organisation=incident.organisation,
        scope="incident",
        reason="Inquiry.",
        by=dana,
        incident_id=incident.pk,
        incident_reference=incident.reference,
    )
    retention.legal_hold_release(hold=hold, reason="Inquiry closed.", by=deputy)
    retention.review_delete(review=review, by=dana, reason="Child is 25; nothing open.")
    retention.review_delete_confirm(review=review, by=deputy)
    assert not Incident.objects.filter(pk=incident.pk).exists()
    hold.refresh_from_db()
    assert hold.incident_id is None
    assert hold.incident_reference == incident.reference


def test_holds_are_placed_and_released_through_the_pages(
    organisation, child, dana, alice, client_for
):
    client = client_for(dana)
    response = client.post(
        "/retention/holds/new/",
        {
            "scope": "incident",
            "incident": "OS-1999-0001",
            "reason": "Claim.",
        },
    )
    assert "No incident of yours has that reference." in response.content.decode()
    client.post(
        "/retention/holds/new/", {"scope": "child", "child": child.pk, "reason": "Court order."}
    )
    hold = LegalHold.objects.get()
    assert hold.is_active()
    page = client_for(alice).get(f"/children/{child.pk}/").content.decode()
    assert "Legal hold" in page
    assert "Court order" not in page  # the reason is for those who manage records
    client.post(f"/retention/holds/{hold.pk}/release/", {"reason": "Order discharged."})
    hold.refresh_from_db()
    assert not hold.is_active()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"retention.hold_placed", "retention.hold_released"} <= actions


# --- superseded policy versions -------------------------------------------------------------------


def test_a_superseded_policy_version_is_kept_while_consent_rests_on_it(organisation, bob):
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Online Safety Policy",
        category="online_safety",
        body="Version one.",
        audience_roles=["staff"],
        owner=bob,
    )
    policy_services.version_approve(
        draft=draft, by=bob, approved_on=timezone.localdate(), approved_by_name="Helen Marsh"
    )
    second = policy_services.draft_start(policy=draft.policy, by=bob)
    policy_services.version_approve(
        draft=second, by=bob, approved_on=timezone.localdate(), approved_by_name="Helen Marsh"
    )
    retention.queue_reviews(organisation=organisation, today=years_from_now(7))
    review = review_of(draft)
    retention.review_delete(review=review, by=bob, reason="Six years on.")
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()
    assert PolicyVersion.objects.filter(pk=second.pk).exists()


def test_nothing_is_ever_deleted_without_a_decision(organisation, child, alice, dana):
    contact(child, alice)
    concern(child, dana)
    retention.queue_reviews(organisation=organisation, today=years_from_now(30))
    reminders.sweep(now=timezone.now() + dt.timedelta(days=365 * 30))
    assert ContactLog.objects.count() == 1
    assert Incident.objects.count() == 1
    assert RetentionReview.objects.filter(decision="").count() == 2


def test_a_deleted_incident_leaves_nothing_in_its_history(incident_review, dana, deputy):
    review, incident = incident_review
    retention.review_delete(review=review, by=dana, reason="Period ended.")
    retention.review_delete_confirm(review=review, by=deputy)
    assert not Incident.history.filter(id=incident.pk).exists()
    assert not Referral.history.filter(incident_id=incident.pk).exists()


def test_a_second_confirmation_from_a_stale_page_does_nothing(incident_review, dana, deputy):
    review, _ = incident_review
    retention.review_delete(review=review, by=dana, reason="Period ended.")
    stale = RetentionReview.objects.get(pk=review.pk)
    other = UserFactory(organisation=review.organisation, role=Role.DEPUTY_DSL)
    retention.review_delete_confirm(review=review, by=deputy)
    with pytest.raises(ValidationError, match="decided already"):
        retention.review_delete_confirm(review=stale, by=other)
    assert AuditEvent.objects.filter(action="retention.deleted").count() == 1


def test_a_pending_deletion_is_confirmed_or_declined_not_swapped(
    incident_review, dana, deputy, client_for
):
    review, incident = incident_review
    retention.review_delete(review=review, by=dana, reason="Period ended.")
    assert Notice.objects.filter(recipient=deputy, ledger__kind="retention.confirm").exists()
    with pytest.raises(ValidationError, match="second person"):
        retention.review_anonymise(review=review, by=dana, reason="Changed my mind alone.")
    response = client_for(deputy).post(
        f"/retention/reviews/{review.pk}/", {"action": "decline", "decline-reason": "Inquiry."}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.decision, review.done_at) == ("", None)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert AuditEvent.objects.filter(action="retention.delete_declined").exists()


def test_a_review_of_a_kind_no_longer_registered_is_a_404_not_a_500(organisation, bob, client_for):
    review = RetentionReview.objects.create(
        organisation=organisation,
        kind="gone_kind",
        object_type="x",
        object_id="1",
        description="A record nobody registers",
        due_on=timezone.localdate(),
    )
    home = client_for(bob).get("/retention/")
    assert home.status_code == 200
    assert list(home.context["reviews"]) == []
    assert "A record nobody registers" not in home.content.decode()
    assert client_for(bob).get(f"/retention/reviews/{review.pk}/").status_code == 404
