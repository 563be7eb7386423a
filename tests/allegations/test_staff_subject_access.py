"""A member of staff's subject access request: their own records, one hop from
them, and nothing of the allegations log, even when they are named in it."""

import io
import json
import zipfile

import pytest
from django.utils import timezone

from allegations import services
from allegations.models import Kind
from audit.models import AuditEvent
from children import services as caseload
from compliance import services as compliance_services
from notices.models import Notice
from records import subject_access
from records.models import SubjectAccessRequest
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

ALLEGED = "Gave a child a personal mobile number and messaged late at night."
OTHER = "Colleague left a child alone with a visitor."


@pytest.fixture
def eve(organisation):
    return UserFactory(organisation=organisation, full_name="Eve Evans", email="eve@alder.test")


def test_a_staff_export_holds_their_records_and_nothing_of_allegations(
    alice, bob, dana, deputy, eve, client_for
):
    child = ChildFactory(organisation=alice.organisation, first_name="Noor")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    compliance_services.training_record(
        staff=alice, by=bob, kind="ai_risks", completed_on=timezone.localdate(), delivery="internal"
    )
    # Alice is the subject of one allegation...
    about_alice = services.allegation_raise(
        raised_by=eve,
        kind=Kind.ALLEGATION,
        about=alice,
        what_was_alleged=ALLEGED,
        children=[child],
    )
    services.allegation_entry_add(
        allegation=about_alice,
        by=dana,
        kind="action",
        text="Called the LADO about Alice.",
        happened_at=timezone.now(),
    )
    # ...and manages another, which she reads and is reminded of: rows of other
    # apps that point at the allegations log by name.
    other = services.allegation_raise(
        raised_by=dana, kind=Kind.LOW_LEVEL, about=eve, what_was_alleged=OTHER
    )
    services.allegation_case_manager_set(
        allegation=other, by=dana, case_manager=alice, reason="Dana is away."
    )
    assert client_for(alice).get(f"/allegations/{other.pk}/").status_code == 200
    assert AuditEvent.objects.filter(actor=alice, object_type="allegations.allegation").exists()
    assert Notice.objects.filter(recipient=alice, ledger__object_type="allegations.allegation")

    # The request, recorded through the page.
    response = client_for(bob).post(
        "/subject-access/",
        {"requester": "Alice Adeyemi", "staff": alice.pk, "received_on": timezone.localdate()},
    )
    assert response.status_code == 302
    sar = SubjectAccessRequest.objects.get(staff=alice)
    assert sar.subject == alice.full_name

    # The complete export (the DSL's, which includes the review folder).
    export = client_for(dana).get(f"/subject-access/{sar.pk}/export.zip")
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    names = archive.namelist()
    index = json.loads(archive.read("index.json"))
    models = {entry["model"] for entry in index["records"]}
    # Her own records are there...
    assert {"safeguard.user", "children.allocation", "compliance.trainingrecord"} <= models
    users = json.loads(archive.read("records/safeguard.user.json"))
    assert [row["pk"] for row in users] == [alice.pk]
    assert "password" not in users[0]["fields"]
    # ...and nothing of the allegations log, in any file.
    assert not [model for model in models if model.startswith("allegations.")]
    assert not [name for name in names if "allegation" in name]
    for name in names:
        if name == "README.txt":
            continue
        text = archive.read(name).decode(errors="replace")
        for leaked in (
            ALLEGED,
            OTHER,
            "Called the LADO",
            about_alice.reference,
            other.reference,
            "allegations.",
            '"allegation.',
        ):
            assert leaked not in text, (name, leaked)
    # One hop only: the child allocated to her is not exported with her.
    assert "children.child" not in models
    assert (
        "Allegations and low-level concerns about staff are not"
        in archive.read("README.txt").decode()
    )


def test_a_staff_request_names_one_subject(organisation, bob, alice, dana):
    child = ChildFactory(organisation=organisation)
    with pytest.raises(subject_access.ValidationError):
        subject_access.sar_record(
            organisation=organisation,
            requester="Alice",
            received_on=timezone.localdate(),
            by=bob,
            staff=alice,
            child=child,
        )
    stranger = UserFactory()
    with pytest.raises(subject_access.ValidationError):
        subject_access.sar_record(
            organisation=organisation,
            requester="Stranger",
            received_on=timezone.localdate(),
            by=bob,
            staff=stranger,
        )
