"""A child protection file sent when a child leaves (KCSIE: within 5 school days,
securely, receipt confirmed): the encrypted package, the single-use link, the
receipt, the reminders, and importing the file into another Safeguard."""

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from children.models import Child
from incidents import services
from incidents.models import Decision, FamilyConsent, LawfulBasis, SharingDecision
from incidents.services import transfers
from incidents.transfer_models import FileTransfer, ReceivedFile, TransferNotNeeded
from incidents.transfer_package import PackageError, open_package
from notices import engine as reminders
from notices.models import Notice
from records import subject_access
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

# A Monday with no bank holiday near it: working day 4 is Friday 6 November,
# the file is due on Monday 9 November.
LEFT_ON = dt.date(2026, 11, 2)
LINK = re.compile(r"/incidents/file/([^/\s]+)/")


@pytest.fixture
def child(organisation):
    return ChildFactory(
        organisation=organisation,
        first_name="Noor",
        last_name="Hassan",
        date_of_birth=dt.date(2014, 5, 17),
        active_from=dt.date(2025, 9, 1),
    )


@pytest.fixture
def incident(alice, dana, child):
    incident = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        platform="A game's chat",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )
    services.referral_add(
        incident=incident, by=dana, agency="police", referred_on=LEFT_ON, family_consent="given"
    )
    SharingDecision.objects.create(
        organisation=incident.organisation,
        incident=incident,
        decision=Decision.SHARE,
        shared_with="Children's social care",
        what="The screenshots and the child's account",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        reason="Risk of significant harm.",
        consent=FamilyConsent.NOT_SOUGHT,
        consent_note="Telling the family could put Noor at risk.",
        decided_at=timezone.now() - dt.timedelta(hours=1),
        decided_by=dana,
    )
    return incident


@pytest.fixture
def birch_dsl(other_organisation):
    return UserFactory(
        organisation=other_organisation,
        role=Role.DSL,
        full_name="Bea Birch",
        email="bea@birch.test",
    )


def send(dana, child, capture, **overrides):
    """Start a transfer; returns (transfer, passphrase, the link's token)."""
    fields = {
        "left_on": LEFT_ON,
        "recipient_name": "Sam Senior",
        "recipient_role": "Designated Safeguarding Lead",
        "recipient_setting": "Oak Academy",
        "recipient_email": "dsl@oak.test",
        "passphrase_route": "phone",
    }
    fields.update(overrides)
    mail.outbox.clear()
    with capture(execute=True):
        started = transfers.transfer_start(child=child, by=dana, **fields)
    [email] = [m for m in mail.outbox if m.to == [fields["recipient_email"]]]
    (token,) = set(LINK.findall(email.body))
    return started.transfer, started.passphrase, token, email


def stored(transfer: FileTransfer) -> bytes:
    with transfer.package.open("rb") as package:
        return package.read()


# --- the package ------------------------------------------------------------------------------


def test_the_package_opens_with_its_passphrase_only_and_holds_the_file_and_its_records(
    dana, child, incident, django_capture_on_commit_callbacks
):
    transfer, passphrase, token, email = send(dana, child, django_capture_on_commit_callbacks)
    content = stored(transfer)
    assert transfer.package_sha256 == hashlib.sha256(content).hexdigest()
    assert transfer.package_size == len(content)
    assert transfer.due_on == dt.date(2026, 11, 9)

    locked = PdfReader(io.BytesIO(content))
    assert locked.is_encrypted
    assert not locked.decrypt("not the passphrase")
    reader = PdfReader(io.BytesIO(content))
    assert reader.decrypt(passphrase)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for words in (
        "Child protection file",
        "Confidential: safeguarding",
        "Oak Academy",
        "Chronology: Noor Hassan",
        "An adult asked Noor to move to a private app.",
    ):
        assert words in text
    records = json.loads(reader.attachments["records.json"][0])
    assert records["format_version"] == 1
    assert records["child"] == {
        "first_name": "Noor",
        "last_name": "Hassan",
        "preferred_name": "",
        "date_of_birth": "2014-05-17",
    }
    assert records["incidents"][0]["what_happened"] == incident.what_happened
    assert records["incidents"][0]["reported_at"].endswith("+00:00")
    assert records["referrals"][0]["agency"] == "Police"
    assert records["sharing_decisions"][0]["reason"] == "Risk of significant harm."
    assert any("private app" in item["text"] for item in records["chronology"])

    assert open_package(content, passphrase.lower().replace("-", " "))["child"]["last_name"] == (
        "Hassan"
    )
    with pytest.raises(PackageError) as wrong:
        open_package(content, "WRONG-WRONG")
    assert wrong.value.field == "passphrase"

    # The passphrase is nowhere but the page that showed it; the email names no child.
    assert passphrase not in email.body
    assert passphrase not in email.subject
    assert "Noor" not in email.subject
    assert "Hassan" not in email.subject
    assert "Noor" not in email.body
    transfer.refresh_from_db()
    assert transfer.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert not FileTransfer.objects.filter(token_sha256=token).exists()
    assert not AuditEvent.objects.filter(details__icontains=passphrase).exists()
    child.refresh_from_db()
    assert child.discharged_on == LEFT_ON, "a child with no leaving date gets the form's"


def test_sending_from_the_childs_page_shows_the_passphrase_once(
    dana, child, incident, client_for, django_capture_on_commit_callbacks
):
    client = client_for(dana)
    page = client.get(f"/children/{child.pk}/")
    assert "Send the child protection file" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/incidents/children/{child.pk}/transfer/",
            {
                "left_on": LEFT_ON.isoformat(),
                "recipient_name": "Sam Senior",
                "recipient_role": "DSL",
                "recipient_setting": "Oak Academy",
                "recipient_email": "dsl@oak.test",
                "passphrase_route": "text",
            },
        )
    assert response.status_code == 200
    transfer = FileTransfer.objects.get()
    passphrase = response.context["passphrase"]
    assert passphrase in response.content.decode()
    assert PdfReader(io.BytesIO(stored(transfer))).decrypt(passphrase)
    detail = client.get(f"/incidents/transfers/{transfer.pk}/").content.decode()
    assert passphrase not in detail
    assert "due by 9 November 2026" in detail
    assert AuditEvent.objects.filter(action="incident.file_transfer_viewed").exists()


# --- the recipient's link ---------------------------------------------------------------------


def test_the_link_downloads_the_file_once_then_says_it_was_collected(
    client, dana, child, incident, django_capture_on_commit_callbacks
):
    transfer, _, token, _ = send(dana, child, django_capture_on_commit_callbacks)
    opened = client.get(f"/incidents/file/{token}/")
    assert opened.status_code == 302
    assert opened["Location"] == "/incidents/file/"
    assert opened["Referrer-Policy"] == "no-referrer"
    page = client.get("/incidents/file/")
    assert page.status_code == 200
    assert "Download the file" in page.content.decode()
    assert FileTransfer.objects.get().collected_at is None, "showing the page collects nothing"

    download = client.post("/incidents/file/download/", HTTP_USER_AGENT="Oak browser")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content == stored(transfer)
    transfer.refresh_from_db()
    assert transfer.collected_at is not None
    event = AuditEvent.objects.get(action="incident.file_transfer_collected")
    assert event.details["user_agent"] == "Oak browser"
    assert event.ip_address

    again = client.post("/incidents/file/download/")
    assert again.status_code == 410
    assert "already collected" in again.content.decode()
    # Someone else with the link is told too, not handed the file.
    other = type(client)()
    other.get(f"/incidents/file/{token}/")
    refused = other.post("/incidents/file/download/")
    assert refused.status_code == 410
    assert refused["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.filter(action="incident.file_transfer_collected").count() == 1


def test_an_expired_link_shows_a_clear_page(
    client, dana, child, incident, django_capture_on_commit_callbacks
):
    transfer, _, token, _ = send(dana, child, django_capture_on_commit_callbacks)
    client.get(f"/incidents/file/{token}/")  # opened in time...
    FileTransfer.objects.filter(pk=transfer.pk).update(
        link_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    late = client.post("/incidents/file/download/")  # ...but downloaded too late
    assert late.status_code == 410
    assert "This link has expired" in late.content.decode()
    assert type(client)().get(f"/incidents/file/{token}/").status_code == 410
    transfer.refresh_from_db()
    assert transfer.collected_at is None


def test_a_wrong_link_is_a_404_page(client):
    response = client.get("/incidents/file/not-a-real-token/")
    assert response.status_code == 404
    assert client.get("/incidents/file/").status_code == 404
    assert client.post("/incidents/file/download/").status_code == 404


def test_receipt_is_recorded_audited_in_the_chronology_and_the_leads_are_told(
    client, dana, deputy, child, incident, django_capture_on_commit_callbacks
):
    transfer, _, token, _ = send(dana, child, django_capture_on_commit_callbacks)
    client.get(f"/incidents/file/{token}/")
    client.post("/incidents/file/download/")
    missing = client.post("/incidents/file/receipt/", {"name": "", "role": "", "setting": ""})
    assert missing.status_code == 200
    assert missing.context["form"].errors
    response = client.post(
        "/incidents/file/receipt/",
        {"name": "Sam Senior", "role": "DSL", "setting": "Oak Academy", "note": "All there."},
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.received_at is not None
    assert (transfer.received_by_name, transfer.receipt_note) == ("Sam Senior", "All there.")
    assert AuditEvent.objects.filter(
        action="incident.file_transfer_received", object_id=str(child.pk)
    ).exists()
    told = Notice.objects.filter(ledger__kind="incidents.transfer_received")
    assert {n.recipient for n in told} == {dana, deputy}
    assert all("Noor" not in n.title for n in told)
    from incidents.timeline import child_timeline

    kinds = [(item.source, item.kind) for item in child_timeline(child)]
    assert ("Child protection file", "Receipt confirmed") in kinds
    # Confirming again changes nothing.
    again = client.post(
        "/incidents/file/receipt/", {"name": "Someone else", "role": "x", "setting": "y"}
    )
    assert again.status_code == 200
    transfer.refresh_from_db()
    assert transfer.received_by_name == "Sam Senior"


# --- reminders --------------------------------------------------------------------------------


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def stages(kind: str) -> list[str]:
    return sorted(
        Notice.objects.filter(ledger__kind=kind, recipient__role=Role.DSL).values_list(
            "ledger__stage", flat=True
        )
    )


def test_a_transfer_is_chased_on_working_day_4_and_when_overdue_until_received(
    dana, child, incident, django_capture_on_commit_callbacks
):
    _transfer, *_ = send(dana, child, django_capture_on_commit_callbacks)
    reminders.sweep(now=at(dt.date(2026, 11, 5)))  # working day 3
    assert stages("incidents.transfer") == []
    reminders.sweep(now=at(dt.date(2026, 11, 6)))  # working day 4
    assert stages("incidents.transfer") == ["day4"]
    reminders.sweep(now=at(dt.date(2026, 11, 9)))  # due today: nothing new
    assert stages("incidents.transfer") == ["day4"]
    reminders.sweep(now=at(dt.date(2026, 11, 10)))
    assert stages("incidents.transfer") == ["day4", "overdue"]
    reminders.sweep(now=at(dt.date(2026, 11, 11)))  # again: no duplicate
    assert stages("incidents.transfer") == ["day4", "overdue"]


def test_no_reminder_once_receipt_is_confirmed(
    dana, child, incident, django_capture_on_commit_callbacks
):
    transfer, *_ = send(dana, child, django_capture_on_commit_callbacks)
    transfers.transfer_receipt_record(
        transfer=transfer, name="Sam Senior", role="DSL", setting="Oak Academy"
    )
    reminders.sweep(now=at(dt.date(2026, 11, 6)))
    reminders.sweep(now=at(dt.date(2026, 11, 12)))
    assert stages("incidents.transfer") == []


def test_a_child_who_left_with_incidents_and_no_file_sent_is_chased(dana, child, incident):
    Child.objects.filter(pk=child.pk).update(discharged_on=LEFT_ON)
    reminders.sweep(now=at(dt.date(2026, 11, 5)))
    assert stages("incidents.transfer_not_started") == []
    reminders.sweep(now=at(dt.date(2026, 11, 6)))
    assert stages("incidents.transfer_not_started") == ["day4"]
    reminders.sweep(now=at(dt.date(2026, 11, 10)))
    assert stages("incidents.transfer_not_started") == ["day4", "overdue"]
    assert all(
        "Noor" not in n.title
        for n in Notice.objects.filter(ledger__kind="incidents.transfer_not_started")
    )


def test_no_reminder_when_a_lead_recorded_that_no_file_needs_to_go(
    dana, child, incident, client_for
):
    Child.objects.filter(pk=child.pk).update(discharged_on=LEFT_ON)
    response = client_for(dana).post(
        f"/incidents/children/{child.pk}/transfer/not-needed/",
        {"reason": "Every concern was about another child."},
    )
    assert response.status_code == 302
    assert TransferNotNeeded.objects.filter(child=child).exists()
    reminders.sweep(now=at(dt.date(2026, 11, 10)))
    assert stages("incidents.transfer_not_started") == []


def test_a_child_who_left_with_no_incidents_is_not_chased(dana, child):
    Child.objects.filter(pk=child.pk).update(discharged_on=LEFT_ON)
    reminders.sweep(now=at(dt.date(2026, 11, 10)))
    assert stages("incidents.transfer_not_started") == []


# --- the receiving Safeguard ------------------------------------------------------------------


def upload(content: bytes, name: str = "file.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_importing_a_package_makes_a_new_child_in_the_receiving_organisation(
    dana,
    child,
    incident,
    birch_dsl,
    other_organisation,
    client_for,
    django_capture_on_commit_callbacks,
):
    transfer, passphrase, *_ = send(dana, child, django_capture_on_commit_callbacks)
    content = stored(transfer)
    client = client_for(birch_dsl)
    response = client.post(
        "/incidents/transfers/import/",
        {"package": upload(content), "passphrase": passphrase},
    )
    assert response.status_code == 302
    received = ReceivedFile.objects.get()
    new_child = received.child
    assert new_child.pk != child.pk
    assert new_child.organisation == other_organisation
    assert (new_child.first_name, new_child.last_name, new_child.date_of_birth) == (
        "Noor",
        "Hassan",
        dt.date(2014, 5, 17),
    )
    assert received.from_organisation == "Alder Play Therapy"
    assert received.imported_by == birch_dsl
    assert received.package_sha256 == hashlib.sha256(content).hexdigest()
    assert response["Location"] == f"/children/{new_child.pk}/"
    assert AuditEvent.objects.filter(action="incident.file_received_imported").exists()

    page = client.get(f"/children/{new_child.pk}/").content.decode()
    assert "Child protection file received from Alder Play Therapy on" in page
    assert "An adult asked Noor to move to a private app." in page
    download = client.get(f"/incidents/received/{received.pk}/download/")
    assert b"".join(download.streaming_content) == content
    assert AuditEvent.objects.filter(action="incident.received_file_downloaded").exists()
    # Alder's leads cannot open Birch's copy.
    assert client_for(dana).get(f"/incidents/received/{received.pk}/download/").status_code == 404


def test_a_wrong_passphrase_or_a_stranger_file_is_a_field_error(
    dana, child, incident, birch_dsl, client_for, django_capture_on_commit_callbacks
):
    transfer, passphrase, *_ = send(dana, child, django_capture_on_commit_callbacks)
    client = client_for(birch_dsl)
    wrong = client.post(
        "/incidents/transfers/import/",
        {"package": upload(stored(transfer)), "passphrase": "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2"},
    )
    assert wrong.status_code == 200
    assert "passphrase" in wrong.context["form"].errors
    stranger = client.post(
        "/incidents/transfers/import/",
        {"package": upload(b"%PDF-1.4 not really"), "passphrase": passphrase},
    )
    assert stranger.status_code == 200
    assert "package" in stranger.context["form"].errors
    not_pdf = client.post(
        "/incidents/transfers/import/",
        {"package": upload(b"hello", "notes.txt"), "passphrase": passphrase},
    )
    assert "package" in not_pdf.context["form"].errors
    assert not ReceivedFile.objects.exists()
    assert Child.objects.count() == 1


# --- who may see what -------------------------------------------------------------------------


def test_only_the_senders_leads_see_a_transfer(
    dana,
    alice,
    director,
    charlie,
    birch_dsl,
    child,
    incident,
    client_for,
    django_capture_on_commit_callbacks,
):
    transfer, *_ = send(dana, child, django_capture_on_commit_callbacks)
    detail = f"/incidents/transfers/{transfer.pk}/"
    assert client_for(dana).get(detail).status_code == 200
    for outsider in (charlie, birch_dsl, alice, director):
        assert client_for(outsider).get(detail).status_code == 404, outsider
    assert client_for(birch_dsl).get(f"/incidents/children/{child.pk}/transfer/").status_code == 404
    assert client_for(alice).get("/incidents/transfers/").status_code == 403
    assert client_for(alice).get("/incidents/transfers/import/").status_code == 403
    listing = client_for(birch_dsl).get("/incidents/transfers/").content.decode()
    assert "Oak Academy" not in listing
    assert "Oak Academy" in client_for(dana).get("/incidents/transfers/").content.decode()


def test_a_subject_access_export_never_carries_the_links_token_hash(
    dana, child, incident, django_capture_on_commit_callbacks
):
    send(dana, child, django_capture_on_commit_callbacks)
    split = subject_access._split(FileTransfer)
    assert "token_sha256" in split.withheld
    assert "token_sha256" not in split.release + split.review
    history = FileTransfer.history.model
    assert "token_sha256" not in {field.name for field in history._meta.get_fields()}


def test_a_package_that_carries_javascript_is_refused():
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    from incidents.transfer_package import FORMAT, FORMAT_VERSION

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_open_action(JavaScript("app.alert('hello');"))
    records = {"format": FORMAT, "format_version": FORMAT_VERSION, "child": {}}
    writer.add_attachment("records.json", json.dumps(records).encode())
    writer.encrypt(user_password="ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(PackageError) as refused:
        open_package(out.getvalue(), "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2")
    assert refused.value.field == "package"
    assert "JavaScript" in refused.value.message


def test_the_list_shows_children_who_left_with_no_file_sent(dana, child, incident, client_for):
    Child.objects.filter(pk=child.pk).update(discharged_on=LEFT_ON)
    client = client_for(dana)
    listing = client.get("/incidents/transfers/").content.decode()
    assert f"/incidents/children/{child.pk}/transfer/" in listing
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert "No file needs to go" in page
    transfers.transfer_not_needed_record(child=child, by=dana, reason="About another child.")
    listing = client.get("/incidents/transfers/").content.decode()
    assert f"/incidents/children/{child.pk}/transfer/" not in listing


@pytest.mark.parametrize(
    "edit",
    [
        {"child": "Noor"},
        {"from": ["Alder"]},
        {"chronology": 7},
        {"chronology": ["an entry"]},
        {"left_on": 20260101},
    ],
)
def test_a_package_whose_records_were_edited_out_of_shape_is_refused(edit):
    from pypdf import PdfWriter

    from incidents.transfer_package import FORMAT, FORMAT_VERSION

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    records = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "child": {"first_name": "Noor", "last_name": "Hassan", "date_of_birth": "2015-03-02"},
        "from": {"organisation": "Alder"},
        "chronology": [],
    } | edit
    writer.add_attachment("records.json", json.dumps(records).encode())
    writer.encrypt(user_password="ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    # Refused next to the field, before anything is stored to fail on every later page.
    with pytest.raises(PackageError) as refused:
        open_package(out.getvalue(), "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2")
    assert refused.value.field == "package"
