"""Information sharing decisions: a referral is never held up for the family's
consent, and every decision to share or not to share says why (Working
Together 2023; information sharing advice 2024)."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from common.models import AppendOnlyError
from incidents import services
from incidents.models import ChronologyEntry, Referral, SharingDecision
from incidents.timeline import child_timeline
from records import subject_access
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


@pytest.fixture
def incident(alice, child):
    return services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(hours=3),
        disclosed_at=ago(hours=2),
        category="contact",
        incident_type="grooming",
        platform="A game's chat",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="high",
    )


def refer(incident, by, consent="not_sought"):
    return services.referral_add(
        incident=incident,
        by=by,
        agency="police",
        referred_on=timezone.localdate(),
        family_consent=consent,
        reference="CAD 4471",
    )


def decision_fields(**overrides):
    fields = {
        "decision": "share",
        "shared_with": "Police",
        "what": "Noor's account of the messages and the adult's username",
        "lawful_basis": "public_task",
        "special_category": "safeguarding",
        "reason": "Noor is at risk of sexual exploitation by an adult online.",
        "consent": "not_sought",
        "consent_note": "Her father may be involved; asking would put Noor at risk.",
        "decided_at": ago(minutes=30),
    }
    fields.update(overrides)
    return fields


def decision_post(**overrides):
    fields = decision_fields(**overrides)
    if isinstance(fields["decided_at"], dt.datetime):
        fields["decided_at"] = timezone.localtime(fields["decided_at"]).strftime("%Y-%m-%dT%H:%M")
    if fields.get("referral") is None:
        fields.pop("referral", None)
    return fields


def referral_post(**overrides):
    data = {
        "agency": "police",
        "referred_on": timezone.localdate().isoformat(),
        "reference": "CAD 4471",
        "contact": "",
        "chase_on": "",
        "family_consent": "not_sought",
    }
    data.update(overrides)
    return data


# --- the referral asks, and never waits ---------------------------------------------------------


@pytest.mark.parametrize("consent", ["not_sought", "refused"])
def test_a_referral_without_consent_saves_then_asks_why_until_recorded(
    consent, incident, dana, client_for
):
    client = client_for(dana)
    response = client.post(
        f"/incidents/{incident.pk}/referrals/new/", referral_post(family_consent=consent)
    )
    referral = Referral.objects.get()  # saved, whatever the family said
    assert referral.family_consent == consent
    assert referral.needs_sharing_record
    form_url = f"/incidents/{incident.pk}/sharing/new/?referral={referral.pk}"
    assert response.status_code == 302
    assert response["Location"] == form_url

    form_page = client.get(form_url)
    page = form_page.content.decode()
    assert "The family did not consent to it" in page  # the message saying why it asks
    assert "was made without the family&#x27;s consent" in page
    form = form_page.context["form"]
    assert form["decision"].value() == "share"
    assert form["shared_with"].value() == "Police"
    assert form["referral"].value() == referral.pk
    assert form["consent"].value() == consent

    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'data-sharing-prompt="{referral.pk}"' in detail
    assert "Record why this referral was made without consent" in detail
    assert form_url in detail

    response = client.post(
        form_url,
        decision_post(consent=consent, referral=referral.pk),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    record = SharingDecision.objects.get()
    assert (record.referral, record.decided_by, record.consent) == (referral, dana, consent)
    assert not Referral.objects.get().needs_sharing_record
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "data-sharing-prompt" not in detail
    assert "Record why this referral was made without consent" not in detail
    assert f'data-sharing-decision="{record.pk}"' in detail
    assert "Noor is at risk of sexual exploitation by an adult online." in detail


def test_a_referral_with_consent_does_not_ask(incident, dana, client_for):
    client = client_for(dana)
    response = client.post(
        f"/incidents/{incident.pk}/referrals/new/", referral_post(family_consent="given")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert not Referral.objects.get().needs_sharing_record
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "data-sharing-prompt" not in detail
    assert "No sharing decisions recorded." in detail


def test_the_referral_form_asks_about_consent(incident, dana, client_for):
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/referrals/new/", referral_post(family_consent="")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["family_consent"] == [
        "Say whether the family consented, refused or was not asked."
    ]
    assert not Referral.objects.exists()


def test_a_referral_old_enough_to_predate_the_question_asks_nothing(incident, dana):
    referral = refer(incident, dana, consent="given")
    Referral.objects.filter(pk=referral.pk).update(family_consent="")
    assert not Referral.objects.get().needs_sharing_record


def test_the_referral_chronology_says_what_the_family_said(incident, dana):
    refer(incident, dana, consent="refused")
    entry = incident.chronology.get(kind="referral")
    assert entry.text.startswith(
        f"Referred to Police on {timezone.localdate():%-d %B %Y} (family consent: sought and "
        "refused), reference CAD 4471"
    )


# --- the rules, as field errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Enter the reason for your decision."),
        ({"consent": "not_sought", "consent_note": ""}, "consent_note", "asking would put"),
        ({"consent": "refused", "consent_note": ""}, "consent_note", "when they refused"),
        ({"decided_at": timezone.now() + dt.timedelta(days=1)}, "decided_at", "future"),
        ({"consent": "refused", "lawful_basis": "consent"}, "lawful_basis", "Consent cannot"),
        (
            {"consent": "not_sought", "special_category": "explicit_consent"},
            "special_category",
            "Explicit consent cannot",
        ),
        ({"shared_with": ""}, "shared_with", "Enter with whom."),
        ({"decision": "maybe"}, "decision", "Select a valid choice"),
    ],
)
def test_each_rule_is_a_field_error(overrides, field, message, incident, dana, client_for):
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/sharing/new/", decision_post(**overrides)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not SharingDecision.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": ""}, "reason", "Say why"),
        ({"consent": "not_sought", "consent_note": " "}, "consent_note", "not sought"),
        ({"consent": "refused", "consent_note": ""}, "consent_note", "refused"),
        ({"decided_at": timezone.now() + dt.timedelta(hours=2)}, "decided_at", "future"),
        ({"consent": "not_sought", "lawful_basis": "consent"}, "lawful_basis", "Consent cannot"),
        ({"decision": "perhaps"}, "decision", "share or not"),
    ],
)
def test_the_service_refuses_each_rule_by_field(overrides, field, message, incident, dana):
    with pytest.raises(ValidationError) as refusal:
        services.sharing_decision_record(incident=incident, by=dana, **decision_fields(**overrides))
    assert message in " ".join(refusal.value.message_dict[field])
    assert not SharingDecision.objects.exists()


def test_a_referral_must_be_the_same_incidents(incident, alice, dana, child, client_for):
    other = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(hours=1),
        disclosed_at=ago(hours=1),
        category="conduct",
        incident_type="cyberbullying",
        what_happened="Mocking messages.",
        initial_risk="low",
    )
    elsewhere = refer(other, dana)
    refer(incident, dana)
    with pytest.raises(ValidationError) as refusal:
        services.sharing_decision_record(
            incident=incident, by=dana, referral=elsewhere, **decision_fields()
        )
    assert "another incident" in refusal.value.message_dict["referral"][0]
    client = client_for(dana)
    # Posted: not one of this incident's choices, so a field error, never a 500.
    response = client.post(
        f"/incidents/{incident.pk}/sharing/new/", decision_post(referral=elsewhere.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["referral"]
    # Asked for in the link: that referral is not this incident's.
    assert (
        client.get(f"/incidents/{incident.pk}/sharing/new/?referral={elsewhere.pk}").status_code
        == 404
    )
    assert client.get(f"/incidents/{incident.pk}/sharing/new/?referral=x").status_code == 404
    assert not SharingDecision.objects.exists()


def test_a_referral_made_cannot_be_recorded_as_not_shared(incident, dana):
    referral = refer(incident, dana)
    with pytest.raises(ValidationError) as refusal:
        services.sharing_decision_record(
            incident=incident,
            by=dana,
            referral=referral,
            **decision_fields(decision="not_share"),
        )
    assert "record the decision to share" in refusal.value.message_dict["decision"][0]


# --- what is written -----------------------------------------------------------------------------


def test_the_chronology_says_it_in_plain_words(incident, dana):
    referral = refer(incident, dana)
    decided_at = ago(minutes=20)
    record = services.sharing_decision_record(
        incident=incident,
        by=dana,
        referral=referral,
        **decision_fields(decided_at=decided_at),
    )
    entry = incident.chronology.get(kind="decision")
    assert entry.text == (
        "Decided to share Noor's account of the messages and the adult's username with "
        "Police without the family's consent. Consent was not sought: Her father may be "
        "involved; asking would put Noor at risk. Lawful basis: Public task (UK GDPR "
        "Article 6(1)(e)). Special category data: Safeguarding of children and individuals "
        "at risk (Article 9(2)(g), DPA 2018 Schedule 1 paragraph 18). Reason: Noor is at "
        "risk of sexual exploitation by an adult online. This is the record for the "
        f"referral to Police on {referral.referred_on:%-d %B %Y}."
    )
    assert (entry.happened_at, entry.author, entry.composed) == (decided_at, dana, True)
    assert record.without_consent


def test_a_decision_not_to_share_says_so(incident, dana):
    services.sharing_decision_record(
        incident=incident,
        by=dana,
        **decision_fields(
            decision="not_share",
            shared_with="the child's football club",
            what="the details of the concern",
            special_category="",
            consent="given",
            consent_note="",
            reason="They have no role in keeping Noor safe.",
        ),
    )
    assert incident.chronology.get(kind="decision").text == (
        "Decided not to share the details of the concern with the child's football club. "
        "Lawful basis: Public task (UK GDPR Article 6(1)(e)). "
        "Reason: They have no role in keeping Noor safe."
    )


def test_recording_writes_an_audit_event(incident, dana):
    record = services.sharing_decision_record(incident=incident, by=dana, **decision_fields())
    event = AuditEvent.objects.get(action="incident.sharing_decision")
    assert (event.actor, event.object_id) == (dana, str(incident.pk))
    assert event.details["sharing_decision"] == record.pk
    assert event.details["consent"] == "not_sought"


def test_a_decision_may_be_recorded_after_the_incident_closed(incident, dana, client_for):
    referral = refer(incident, dana)
    services.incident_triage(incident=incident, by=dana, decision="Police lead.", risk="high")
    services.incident_close(
        incident=incident, by=dana, outcome="Police NFA.", parents_informed=True
    )
    incident.refresh_from_db()
    assert incident.is_closed
    assert Referral.objects.get().needs_sharing_record  # still asked, after closing
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/sharing/new/?referral={referral.pk}",
        decision_post(referral=referral.pk),
    )
    assert response.status_code == 302
    assert not Referral.objects.get().needs_sharing_record


def test_decisions_are_on_the_childs_chronology(incident, dana, child):
    services.sharing_decision_record(incident=incident, by=dana, **decision_fields())
    decisions = [item for item in child_timeline(child) if item.kind == "Decision"]
    assert len(decisions) == 1
    assert decisions[0].text.startswith("Decided to share Noor's account")
    assert decisions[0].who == dana.full_name


# --- never changed -------------------------------------------------------------------------------


def test_a_decision_is_never_changed(incident, dana):
    record = services.sharing_decision_record(incident=incident, by=dana, **decision_fields())
    record.reason = "Rewritten."
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        SharingDecision.objects.filter(pk=record.pk).update(reason="Rewritten.")
    with pytest.raises(AppendOnlyError):
        SharingDecision.objects.filter(pk=record.pk).delete()
    assert SharingDecision.objects.get().reason.startswith("Noor is at risk")


def test_postgres_refuses_changes_to_a_decision(postgres, incident, dana):
    services.sharing_decision_record(incident=incident, by=dana, **decision_fields())
    for statement in (
        "UPDATE incidents_sharingdecision SET reason = 'rewritten'",
        "DELETE FROM incidents_sharingdecision",
    ):
        with connection.cursor() as cursor:
            cursor.execute("SAVEPOINT s")
            with pytest.raises(Exception, match="append-only"):
                cursor.execute(statement)
            cursor.execute("ROLLBACK TO SAVEPOINT s")
    assert SharingDecision.objects.get().reason.startswith("Noor is at risk")
    assert ChronologyEntry.objects.filter(kind="decision").count() == 1


# --- who may -------------------------------------------------------------------------------------


def test_only_the_leads_record_decisions(
    incident, alice, dana, deputy, client_for, other_organisation
):
    url = f"/incidents/{incident.pk}/sharing/new/"
    other_dsl = UserFactory(organisation=other_organisation, role=Role.DSL)
    shared_staff = UserFactory(organisation=dana.organisation)
    services.incident_access_grant(incident=incident, staff=shared_staff, by=dana)
    director = UserFactory(organisation=dana.organisation, role=Role.DIRECTOR)
    # Another organisation's DSL: 404, as if it did not exist.
    assert client_for(other_dsl).get(url).status_code == 404
    assert client_for(other_dsl).post(url, decision_post()).status_code == 404
    # The therapist who raised it sees her report only.
    assert client_for(alice).get(url).status_code == 404
    assert client_for(alice).post(url, decision_post()).status_code == 404
    assert client_for(director).get(url).status_code == 404
    # Staff the DSL shared the incident with read it, but do not decide for it.
    assert client_for(shared_staff).get(url).status_code == 403
    assert client_for(shared_staff).post(url, decision_post()).status_code == 403
    detail = client_for(shared_staff).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Record a sharing decision" not in detail
    assert not SharingDecision.objects.exists()
    assert client_for(deputy).get(url).status_code == 200
    assert client_for(deputy).post(url, decision_post()).status_code == 302


def test_another_organisations_referral_is_a_404(incident, dana, client_for, other_organisation):
    referral = refer(incident, dana)
    other_dsl = UserFactory(organisation=other_organisation, role=Role.DSL)
    theirs = services.incident_raise(
        reporter=other_dsl,
        children=[],
        others_involved="A child at Birch",
        occurred_at=ago(hours=1),
        disclosed_at=ago(hours=1),
        category="contact",
        incident_type="grooming",
        what_happened="x",
        initial_risk="low",
    )
    # Their own incident, with our referral's id in the link.
    response = client_for(other_dsl).get(
        f"/incidents/{theirs.pk}/sharing/new/?referral={referral.pk}"
    )
    assert response.status_code == 404


# --- subject access ------------------------------------------------------------------------------


def test_a_decision_goes_to_the_review_folder_of_the_childs_export(incident, dana, bob, child):
    record = services.sharing_decision_record(incident=incident, by=dana, **decision_fields())
    sar = subject_access.sar_record(
        organisation=child.organisation,
        requester="Huda Hassan, mother",
        child=child,
        received_on=timezone.localdate(),
        by=bob,
    )
    archive = zipfile.ZipFile(
        io.BytesIO(subject_access.export_zip(sar, include_safeguarding=True, exporter=bob))
    )
    review_file = f"{subject_access.REVIEW_FOLDER}/incidents.sharingdecision.json"
    rows = json.loads(archive.read(review_file))
    assert [row["pk"] for row in rows] == [record.pk]
    assert rows[0]["fields"]["reason"] == record.reason
    released = [name for name in archive.namelist() if name.startswith(("records/", "documents/"))]
    assert released  # the release copy exists, and holds none of it
    for name in released:
        assert b"sexual exploitation" not in archive.read(name), name
    assert "records/incidents.sharingdecision.json" not in archive.namelist()
    # Exported by someone who may not read safeguarding records: left out altogether.
    archive = zipfile.ZipFile(
        io.BytesIO(subject_access.export_zip(sar, include_safeguarding=False, exporter=bob))
    )
    assert review_file not in archive.namelist()
    for name in archive.namelist():
        assert b"sexual exploitation" not in archive.read(name), name
