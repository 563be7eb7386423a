"""Verbal and paper consent recorded by the child's allocated therapist, not
only by the leads: the therapist is the one who took the parent's call."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from children import services as caseload
from consent import services
from consent.models import ConsentRecord, ConsentType
from notices.models import Notice
from tests.factories import ChildFactory, UserFactory
from tests.hostile_files import plain_pdf

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def colleague(organisation):
    """A therapist without the child on their caseload."""
    return UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Jones")


def huda(child):
    return child.guardian_links.get().guardian


def told(kind: str) -> set:
    return {notice.recipient for notice in Notice.objects.filter(ledger__kind=kind)}


def test_the_allocated_therapist_records_verbal_consent_and_the_leads_are_told(
    child, alice, dana, deputy, colleague, client_for, django_capture_on_commit_callbacks
) -> None:
    as_alice = client_for(alice)
    page = as_alice.get(f"/children/{child.pk}/").content.decode()
    assert f"/children/{child.pk}/consent/verbal/" in page
    assert f"/children/{child.pk}/consent/paper/" in page
    assert as_alice.get(f"/children/{child.pk}/consent/verbal/").status_code == 200
    messaging = ConsentType.objects.get(code="messaging")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_alice.post(
            f"/children/{child.pk}/consent/verbal/",
            {"guardian": huda(child).pk, "consent_type": messaging.pk, "notes": "Phoned at 10"},
        )
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.method, record.recorded_by) == ("verbal", alice)
    assert services.consent_check(
        child=child, consent_type=messaging, on=timezone.localdate()
    ).allowed
    assert told("consent.recorded_by_staff") == {dana, deputy}
    notice = Notice.objects.filter(recipient=dana).get(ledger__kind="consent.recorded_by_staff")
    assert "Alice Adeyemi" in notice.title


def test_the_allocated_therapist_records_a_paper_form_and_the_leads_are_told(
    child, alice, dana, deputy, client_for, django_capture_on_commit_callbacks
) -> None:
    sessions = ConsentType.objects.get(code="online_sessions")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            f"/children/{child.pk}/consent/paper/",
            {
                "guardian": huda(child).pk,
                "consent_types": [sessions.pk],
                "signed_on": timezone.localdate().isoformat(),
                "signed_by": "Huda Hassan",
                "scan": SimpleUploadedFile("form.pdf", plain_pdf()),
            },
        )
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.method, record.recorded_by) == ("paper", alice)
    assert told("consent.recorded_by_staff") == {dana, deputy}


def test_a_lead_recording_consent_tells_nobody(
    child, dana, deputy, client_for, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(dana).post(
            f"/children/{child.pk}/consent/verbal/",
            {
                "guardian": huda(child).pk,
                "consent_type": ConsentType.objects.get(code="messaging").pk,
                "notes": "Phoned at 10",
            },
        )
    assert ConsentRecord.objects.get().recorded_by == dana
    assert told("consent.recorded_by_staff") == set()


def test_a_therapist_whose_allocation_ended_is_refused(child, alice, dana, client_for) -> None:
    """Still able to see the child (another open allocation's permission), but no
    longer allocated: a refusal, and nothing recorded."""
    allocation = child.allocations.get(staff=alice)
    caseload.allocation_end(allocation=allocation, by=dana)
    as_alice = client_for(alice)
    assert as_alice.get(f"/children/{child.pk}/consent/verbal/").status_code == 404
    from guardian.shortcuts import assign_perm

    assign_perm("children.view_child", alice, child)
    for path in ("verbal", "paper"):
        assert as_alice.get(f"/children/{child.pk}/consent/{path}/").status_code == 403
    response = as_alice.post(
        f"/children/{child.pk}/consent/verbal/",
        {
            "guardian": huda(child).pk,
            "consent_type": ConsentType.objects.get(code="messaging").pk,
            "notes": "Phoned",
        },
    )
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()
    page = as_alice.get(f"/children/{child.pk}/").content.decode()
    assert f"/children/{child.pk}/consent/verbal/" not in page


def test_a_therapist_without_the_child_gets_404(child, colleague, client_for) -> None:
    as_cal = client_for(colleague)
    for path in ("verbal", "paper"):
        assert as_cal.get(f"/children/{child.pk}/consent/{path}/").status_code == 404
    assert not ConsentRecord.objects.exists()
