"""Subject access requests: the one-month deadline, its reminders, and an
export that holds every record about the person, found by introspection."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from pypdf import PdfReader

from accounts.models import Role
from allegations import services as allegation_services
from audit import context as audit_context
from audit.models import AuditEvent
from children import services as caseload
from children.models import Child, Guardian
from consent import records as consent_records
from consent import services as consent_services
from consent.models import ConsentRequest, ConsentType, GuardianAccess, TakedownTask
from incidents import services as incident_services
from notices import engine as reminders
from notices.models import Notice
from policies import services as policy_services
from policies.agreements import child_agreement_record
from policies.models import Acknowledgement, AgreementWay
from practice.contact_log import contact_log
from practice.models import ContactLog, PlannedSession
from records import retention, subject_access
from records.models import SubjectAccessRequest
from supervision import services as supervision_services
from tests.factories import ChildFactory, UserFactory, practice_rules_off

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MESSAGE_TEXT = "Dear Huda, Noor's session moves to Thursday."


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 9, 3), dt.date(2026, 10, 3)),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),
        (dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
    ],
)
def test_the_deadline_is_one_calendar_month(received, due):
    assert subject_access.due_date(received) == due


# A child protection file link's token hash (a credential: in no export).
TRANSFER_TOKEN_HASH = "1" * 64


@pytest.fixture
def world(organisation, alice, bob, dana):
    """One child with a record of every kind that can be about a child or guardian."""
    child = ChildFactory(
        organisation=organisation,
        first_name="Noor",
        last_name="Hassan",
        date_of_birth=dt.date(2016, 5, 1),
    )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
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
    guardian = link.guardian
    consent_services.consent_types_ensure(organisation=organisation)
    online = ConsentType.objects.get(code="online_sessions")
    photos = ConsentType.objects.get(code="photos_online")
    consent_services.consent_request_send(
        child=child, guardians=[guardian], consent_types=[online], by=alice
    )
    consent_records.verbal_consent_record(
        child=child, guardian=guardian, consent_type=photos, by=dana
    )
    record = consent_records.verbal_consent_record(
        child=child, guardian=guardian, consent_type=online, by=dana
    )
    practice_rules_off(organisation)
    plan = PlannedSession.objects.create(
        organisation=organisation,
        child=child,
        staff=alice,
        planned_for=timezone.now(),
        channel="video",
        guardian=guardian,
        allowed=True,
    )
    contact_log(
        child=child,
        staff=alice,
        happened_at=timezone.now(),
        channel="video",
        platform="Zoom",
        notes="Session.",
        plan=plan,
        parent_present=guardian,
        camera_refused=True,
    )
    contact_log(
        child=child,
        staff=alice,
        happened_at=timezone.now(),
        channel="email",
        with_whom="parent",
        guardian=guardian,
        copied_guardians=[guardian],
        message_text=MESSAGE_TEXT,
        message_file=SimpleUploadedFile("message-copy.png", PNG, content_type="image/png"),
    )
    TakedownTask.objects.create(
        organisation=organisation,
        child=child,
        record=record,
        what="Photo",
        where="Website",
        due_on=timezone.localdate(),
    )
    from consent.media import media_use_record

    media_use_record(
        child=child,
        kind="photo",
        where="website",
        description="Spring open day post",
        used_on=timezone.localdate(),
        reason_if_not_allowed="",
        by=alice,
    )
    from consent.models import GuardianAccess

    GuardianAccess.objects.create(guardian=guardian, token_sha256="0" * 64)
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Online Safety Policy",
        category="online_safety",
        body="Text.",
        audience_roles=["staff"],
        owner=bob,
    )
    policy_services.version_approve(
        draft=draft, by=bob, approved_on=timezone.localdate(), approved_by_name="Helen Marsh"
    )
    Acknowledgement.objects.create(version=draft, guardian=guardian)
    promise = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Our online promise",
        category="acceptable_use",
        body="I will tell a grown-up I trust if something online upsets me.",
        audience_children=True,
    )
    policy_services.version_approve(
        draft=promise, by=bob, approved_on=timezone.localdate(), approved_by_name="Helen Marsh"
    )
    # Agreed with Huda on her link: in both her export and Noor's.
    child_agreement_record(
        version=promise,
        child=child,
        way=AgreementWay.WITH_PARENT,
        child_name="Noor",
        guardian=guardian,
    )
    incident = incident_services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        what_happened="Asked to move to a private app by A. Stranger.",
        initial_risk="high",
        evidence=("shot.png", PNG),
    )
    incident_services.referral_add(
        incident=incident,
        by=dana,
        agency="police",
        referred_on=timezone.localdate(),
        family_consent="not_sought",
    )
    # The child protection file sent on (its link's token hash must never go out),
    # one received for the child from a setting before, and a record that none was needed.
    from incidents.models import FileTransfer, ReceivedFile, TransferNotNeeded

    FileTransfer.objects.create(
        organisation=organisation,
        child=child,
        left_on=timezone.localdate(),
        due_on=timezone.localdate() + dt.timedelta(days=7),
        recipient_name="Sam Senior",
        recipient_role="DSL",
        recipient_setting="Oak Academy",
        recipient_email="dsl@oak.test",
        passphrase_route="phone",
        package="file_transfers/package.pdf",
        package_sha256="a" * 64,
        package_size=1,
        token_sha256=TRANSFER_TOKEN_HASH,
        link_expires_at=timezone.now() + dt.timedelta(days=10),
        created_by=dana,
    )
    ReceivedFile.objects.create(
        organisation=organisation,
        child=child,
        from_organisation="Elm Nursery",
        package="received_files/package.pdf",
        package_sha256="b" * 64,
        package_size=1,
        records={"format": "safeguard.child-protection-file", "chronology": []},
        imported_by=dana,
    )
    TransferNotNeeded.objects.create(
        organisation=organisation, child=child, reason="Nothing to send.", recorded_by=dana
    )
    retention.legal_hold_place(
        organisation=organisation, scope="child", child=child, reason="Police enquiry.", by=dana
    )
    # An allegation about a member of staff that names the child.
    allegation_services.allegation_raise(
        raised_by=dana,
        kind="allegation",
        about=alice,
        what_was_alleged="Seen messaging Noor from a personal phone.",
        children=[child],
    )
    from records.models import RetentionReview

    RetentionReview.objects.create(
        organisation=organisation,
        kind="contact_logs",
        object_type="x",
        object_id="1",
        description="x",
        child=child,
        due_on=timezone.localdate(),
    )
    # The DSL flagged the child as on a child protection plan.
    caseload.child_flag_add(child=child, by=dana, kind="cp_plan", started_on=timezone.localdate())
    # The DSL discussed the child in the therapist's supervision.
    supervision_services.session_record(
        by=dana,
        supervisor=dana,
        supervisee=alice,
        held_on=timezone.localdate(),
        discussions=[supervision_services.Discussion(child=child, discussed="Noor is worried.")],
    )
    sar = subject_access.sar_record(
        organisation=organisation,
        requester="Huda Hassan, mother",
        child=child,
        received_on=timezone.localdate(),
        by=bob,
    )
    subject_access.sar_record(
        organisation=organisation,
        requester="Huda Hassan",
        guardian=guardian,
        received_on=timezone.localdate(),
        by=bob,
    )
    return {"child": child, "guardian": guardian, "sar": sar, "incident": incident}


def models_referring_to(*targets: type) -> list[type]:
    """Found independently of the exporter: every model with a relation to a
    child or guardian, or that keeps their history."""
    found = []
    for model in apps.get_models():
        if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase):
            continue  # who may open a record, not a record about the person
        related = {
            field.related_model
            for field in model._meta.get_fields()
            if field.is_relation and field.concrete
        }
        if related & set(targets) or getattr(model, "instance_type", None) in targets:
            found.append(model)
    return found


def export(client: Client, sar: SubjectAccessRequest) -> zipfile.ZipFile:
    response = client.get(f"/subject-access/{sar.pk}/export.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_includes_every_model_that_refers_to_the_child(world, dana, client_for):
    archive = export(client_for(dana), world["sar"])
    index = json.loads(archive.read("index.json"))
    exported = {entry["model"]: entry for entry in index["records"]}
    expected = {model._meta.label_lower for model in models_referring_to(Child)}
    missing = sorted(expected - set(exported))
    assert missing == [], f"add a row of each to the fixture or the export: {missing}"
    child_rows = json.loads(archive.read(exported["children.child"]["file"]))
    assert [row["pk"] for row in child_rows] == [world["child"].pk]
    # Records that refer to those records come too: an incident's chronology and referrals.
    for label in (
        "incidents.incident",
        "incidents.chronologyentry",
        "incidents.referral",
        "incidents.evidence",
        "supervision.childdiscussed",
        # An allegation about staff naming the child, and its log: for review.
        "allegations.allegation",
        "allegations.allegationentry",
    ):
        assert exported[label]["review_before_release"] is True
        assert exported[label]["file"].startswith(subject_access.REVIEW_FOLDER)
    assert exported["consent.consentrecord"]["review_before_release"] is False
    names = archive.namelist()
    assert "README.txt" in names
    assert "documents/consent-summary.pdf" in names
    assert f"{subject_access.REVIEW_FOLDER}/chronology.pdf" in names
    assert any(name.startswith(f"{subject_access.REVIEW_FOLDER}/files/") for name in names)
    # Another child's records are not in it.
    other = ChildFactory(organisation=world["child"].organisation, first_name="Zed")
    archive = export(client_for(dana), world["sar"])
    assert "Zed" not in archive.read("records/children.child.json").decode()
    assert other.pk not in [row["pk"] for row in child_rows]


def test_the_guardians_export_holds_what_refers_to_them(world, bob, client_for):
    sar = SubjectAccessRequest.objects.get(guardian=world["guardian"])
    archive = export(client_for(bob), sar)
    exported = {e["model"] for e in json.loads(archive.read("index.json"))["records"]}
    expected = {m._meta.label_lower for m in models_referring_to(Guardian)}
    assert expected - exported == set()


@pytest.mark.parametrize("subject", ["child", "guardian"])
def test_a_contacts_message_copy_is_released_with_its_file(world, dana, client_for, subject):
    sar = (
        world["sar"]
        if subject == "child"
        else SubjectAccessRequest.objects.get(guardian=world["guardian"])
    )
    archive = export(client_for(dana), sar)
    released = json.loads(archive.read("records/practice.contactlog.json"))
    assert MESSAGE_TEXT in [row["fields"]["message_text"] for row in released]
    stored = ContactLog.objects.get(message_text=MESSAGE_TEXT).message_file.name
    assert archive.read(f"records/files/{stored}") == PNG


def test_exports_are_audited_and_guarded(world, bob, alice, charlie, client_for):
    sar = world["sar"]
    export(client_for(bob), sar)
    assert AuditEvent.objects.filter(action="sar.exported", object_id=str(sar.pk)).count() == 1
    assert client_for(alice).get(f"/subject-access/{sar.pk}/export.zip").status_code == 404
    assert client_for(charlie).get(f"/subject-access/{sar.pk}/export.zip").status_code == 404
    director = UserFactory(organisation=sar.organisation, role=Role.DIRECTOR)
    assert client_for(director).get(f"/subject-access/{sar.pk}/").status_code == 404
    assert client_for(director).get("/subject-access/").status_code == 403


def test_requests_are_recorded_through_the_page_and_reminded(world, bob, dana, client_for):
    client = client_for(bob)
    received = timezone.localdate()
    response = client.post(
        "/subject-access/",
        {
            "requester": "Huda Hassan",
            "child": world["child"].pk,
            "received_on": received,
        },
    )
    sar = SubjectAccessRequest.objects.order_by("-pk").first()
    assert response["Location"] == f"/subject-access/{sar.pk}/"
    assert sar.due_on == subject_access.due_date(received)
    bad = client.post("/subject-access/", {"requester": "", "received_on": "2999-01-01"})
    assert bad.status_code == 200
    assert bad.context["form"].errors
    due = timezone.make_aware(dt.datetime.combine(sar.due_on, dt.time(9)))
    for moment in (due - dt.timedelta(days=7), due - dt.timedelta(days=1), due):
        reminders.sweep(now=moment)
    stages = sorted(
        set(
            Notice.objects.filter(
                ledger__kind="sar.deadline", ledger__object_id=str(sar.pk)
            ).values_list("ledger__stage", flat=True)
        )
    )
    assert stages == ["1d", "7d", "due"]
    client.post(f"/subject-access/{sar.pk}/complete/")
    sar.refresh_from_db()
    assert sar.completed_by == bob
    reminders.sweep(now=due + dt.timedelta(days=8))
    assert not Notice.objects.filter(
        ledger__kind="sar.deadline", ledger__stage="overdue-1w", ledger__object_id=str(sar.pk)
    ).exists()


def test_an_admins_export_leaves_out_what_they_may_not_read(world, bob, client_for):
    # An admin cannot open the incident, so their export must not carry it either.
    archive = export(client_for(bob), world["sar"])
    names = archive.namelist()
    assert not [name for name in names if name.startswith(subject_access.REVIEW_FOLDER)]
    assert "records/consent.consentrecord.json" in names
    index = {e["model"]: e for e in json.loads(archive.read("index.json"))["records"]}
    assert index["incidents.incident"]["left_out"] is True
    assert (
        "the dsl or a deputy can make the complete export"
        in archive.read("README.txt").decode().lower()
    )


def test_how_records_were_handled_goes_for_review_and_a_lost_file_is_noted(world, dana, client_for):
    from incidents.models import Evidence

    evidence = Evidence.objects.first()
    evidence.file.storage.delete(evidence.file.name)  # gone from storage, say
    archive = export(client_for(dana), world["sar"])
    index = {e["model"]: e for e in json.loads(archive.read("index.json"))["records"]}
    for label in (
        "records.legalhold",
        "records.retentionreview",
        "records.subjectaccessrequest",
    ):
        assert index[label]["file"].startswith(subject_access.REVIEW_FOLDER), label
    assert any(name.endswith(".missing.txt") for name in archive.namelist())


# --- what may be released --------------------------------------------------------------------

REMOVAL_REASON = "An adult no one knew joined the call and messaged Noor privately."
OVERRIDE_REASON = "Mum asked for an urgent call; the DSL agreed."
SIGNED_FROM = ("203.0.113.77", "Mozilla/5.0 (Linux; Android 14) FamilyPhone/9")


def _released_text(archive: zipfile.ZipFile) -> str:
    """Everything in the folders meant for release, PDFs read back as text."""
    parts = []
    for name in archive.namelist():
        if not name.startswith(("records/", "documents/")):
            continue
        data = archive.read(name)
        if name.endswith(".pdf"):
            reader = PdfReader(io.BytesIO(data))
            parts.append("\n".join(page.extract_text() for page in reader.pages))
        else:
            # A message copy may be an image: its bytes are read as far as they are text.
            parts.append(data.decode(errors="replace"))
    return "\n".join(parts)


@pytest.fixture
def sensitive(world, alice):
    """A session a participant was removed from (which opens an incident), a
    contact without consent and its reason, and consent signed online from a
    known address and browser."""
    child, guardian = world["child"], world["guardian"]
    removed = contact_log(
        child=child,
        staff=alice,
        happened_at=timezone.now(),
        channel="video",
        platform="Zoom",
        notes="Weekly session.",
        participant_removed=True,
        removal_reason=REMOVAL_REASON,
        override_reason=OVERRIDE_REASON,
    )
    consent_request = ConsentRequest.objects.filter(guardian=guardian).first()
    with audit_context.bound(audit_context.RequestContext(*SIGNED_FROM)):
        signed = consent_services.consent_sign(
            token_digest=consent_request.token_sha256,
            answers={version.pk: "granted" for version in consent_request.items.all()},
            typed_name="Huda Hassan",
            relationship="mother",
            signature_png="",
        )
    access = GuardianAccess.objects.get(
        token_sha256=consent_services.token_hash(signed.manage_token)
    )
    assert removed.incident_reference
    return {
        "incident_reference": removed.incident_reference,
        "token_hashes": [
            consent_request.token_sha256,
            access.token_sha256,
            "0" * 64,
            TRANSFER_TOKEN_HASH,
        ],
    }


@pytest.mark.parametrize("persona", ["bob", "dana"])
def test_the_release_folders_carry_no_safeguarding_event_address_browser_or_token(
    world, sensitive, persona, request, client_for
):
    user = request.getfixturevalue(persona)
    child_sar = world["sar"]
    guardian_sar = SubjectAccessRequest.objects.get(guardian=world["guardian"])
    for sar in (child_sar, guardian_sar):
        archive = export(client_for(user), sar)
        released = _released_text(archive)
        assert "records/consent.consentrecord.json" in archive.namelist()
        assert "Huda Hassan" in released  # the export is not empty: the check means something
        assert REMOVAL_REASON not in released
        assert OVERRIDE_REASON not in released
        assert sensitive["incident_reference"] not in released
        assert "participant_removed" not in released
        for value in SIGNED_FROM:
            assert value not in released
        for digest in sensitive["token_hashes"]:
            assert digest not in archive.read("index.json").decode() + released
        # The token hashes are in no folder, not even the one for review.
        everything = b"".join(archive.read(name) for name in archive.namelist()).decode(
            errors="replace"
        )
        for digest in sensitive["token_hashes"]:
            assert digest not in everything
    archive = export(client_for(user), child_sar)
    index = {e["model"]: e for e in json.loads(archive.read("index.json"))["records"]}
    assert set(index["practice.contactlog"]["fields_for_review"]) >= {
        "removal_reason",
        "incident_reference",
        "override_reason",
    }
    assert {"ip_address", "user_agent"} <= set(index["consent.consentrecord"]["fields_for_review"])
    assert "reason_if_not_allowed" in index["consent.mediause"]["fields_for_review"]


def test_the_review_folder_has_what_the_release_folder_left_out(world, sensitive, dana, client_for):
    archive = export(client_for(dana), world["sar"])
    review = json.loads(archive.read(f"{subject_access.REVIEW_FOLDER}/practice.contactlog.json"))
    removed = next(row for row in review if row["fields"]["participant_removed"])
    assert removed["fields"]["removal_reason"] == REMOVAL_REASON
    assert removed["fields"]["override_reason"] == OVERRIDE_REASON
    assert removed["fields"]["incident_reference"] == sensitive["incident_reference"]
    released = json.loads(archive.read("records/practice.contactlog.json"))
    assert {row["pk"] for row in released} == {row["pk"] for row in review}
    assert released[0]["fields"]["notes"]  # the rest of the record is released
    signed = json.loads(archive.read(f"{subject_access.REVIEW_FOLDER}/consent.consentrecord.json"))
    assert {row["fields"]["ip_address"] for row in signed} >= {SIGNED_FROM[0]}


def test_an_admins_export_has_no_removal_reason_anywhere(world, sensitive, bob, client_for):
    archive = export(client_for(bob), world["sar"])
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode(
        errors="replace"
    )
    assert REMOVAL_REASON not in everything
    assert SIGNED_FROM[0] not in everything
    index = {e["model"]: e for e in json.loads(archive.read("index.json"))["records"]}
    assert index["practice.contactlog"]["fields_left_out"] is True
