"""Staff compliance: DBS and training records, their due dates and reminders."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail

from accounts.models import Role
from audit.models import AuditEvent
from compliance.models import DBSCheck, TrainingRecord
from notices import engine as reminders
from notices.models import Notice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_admin_records_a_dbs_check_and_the_page_shows_when_it_is_due(
    bob, alice, client_for
) -> None:
    as_bob = client_for(bob)
    response = as_bob.post(
        f"/staff/{alice.pk}/compliance/",
        {"dbs-level": "enhanced_barred", "dbs-issued_on": "2024-01-15", "dbs-update_service": "on"},
    )
    assert response.status_code == 302
    check = DBSCheck.objects.get(staff=alice)
    assert check.recorded_by == bob
    assert check.next_check_due(36) == dt.date(2027, 1, 15)
    page = as_bob.get("/staff/compliance/").content.decode()
    assert "Alice Adeyemi" in page
    assert "15 Jan 2027" in page
    assert AuditEvent.objects.filter(action="compliance.dbs_recorded", actor=bob).count() == 1


def test_training_refresh_dates(bob, alice, client_for) -> None:
    as_bob = client_for(bob)
    as_bob.post(
        f"/staff/{alice.pk}/compliance/",
        {"training-kind": "online_safety", "training-completed_on": "2026-03-01"},
    )
    as_bob.post(
        f"/staff/{alice.pk}/compliance/",
        {
            "training-kind": "safeguarding",
            "training-level": "Level 2",
            "training-completed_on": "2025-06-10",
        },
    )
    # The system training every factory-made member of staff has is not this test's.
    recorded = TrainingRecord.objects.filter(staff=alice).exclude(kind="system")
    refresh = {r.kind: r.refresh_due for r in recorded}
    assert refresh == {"online_safety": dt.date(2027, 3, 1), "safeguarding": dt.date(2028, 6, 10)}


def test_future_dates_are_refused_beside_the_field(bob, alice, client_for) -> None:
    response = client_for(bob).post(
        f"/staff/{alice.pk}/compliance/",
        {"dbs-level": "enhanced", "dbs-issued_on": "2099-01-01"},
    )
    assert "The date cannot be in the future." in response.content.decode()
    assert not DBSCheck.objects.exists()


def test_who_sees_and_who_records(organisation, bob, alice, charlie, client_for) -> None:
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR)
    assert client_for(director).get("/staff/compliance/").status_code == 200
    assert (
        client_for(director)
        .post(
            f"/staff/{alice.pk}/compliance/", {"dbs-level": "basic", "dbs-issued_on": "2025-01-01"}
        )
        .status_code
        == 403
    )
    assert client_for(alice).get("/staff/compliance/").status_code == 403
    assert client_for(alice).get(f"/staff/{alice.pk}/compliance/").status_code == 200
    assert client_for(alice).get(f"/staff/{bob.pk}/compliance/").status_code == 404
    assert client_for(charlie).get(f"/staff/{alice.pk}/compliance/").status_code == 404
    assert "Alice" not in client_for(charlie).get("/staff/compliance/").content.decode()
    assert not DBSCheck.objects.exists()


def test_dbs_falling_due_reminds_the_person_and_the_admins(organisation, alice, bob) -> None:
    DBSCheck.objects.create(
        organisation=organisation,
        staff=alice,
        level="enhanced",
        issued_on=dt.date(2023, 12, 20),
        recorded_by=bob,
    )
    organisation.dbs_recheck_months = 36  # due 20 December 2026
    organisation.save()

    def sweep(day: str) -> None:
        now = dt.datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=LONDON)
        reminders.deliver(reminders.sweep(now=now))

    sweep("2026-11-10")
    assert not Notice.objects.exists()
    sweep("2026-11-20")  # 30 days before
    sweep("2026-11-21")
    assert set(Notice.objects.values_list("recipient__email", flat=True)) == {
        "alice@alder.test",
        "bob@alder.test",
    }
    assert Notice.objects.get(recipient=alice).title == (
        "Alice Adeyemi's DBS check is due on 20 December 2026"
    )
    assert len(mail.outbox) == 2  # one digest each
    sweep("2026-12-13")  # 7 days before
    sweep("2026-12-20")  # due
    sweep("2026-12-28")  # a week overdue
    dbs = Notice.objects.filter(ledger__kind="compliance.dbs_due")
    stages = sorted(set(dbs.values_list("ledger__stage", flat=True)))
    assert stages == ["30d", "7d", "due", "overdue-1w"]


def test_nothing_recorded_two_weeks_after_joining_tells_the_admins(organisation, bob) -> None:
    joined = dt.datetime(2026, 11, 1, 10, 0, tzinfo=LONDON)
    newcomer = UserFactory(organisation=organisation, full_name="Nia Newcomer", date_joined=joined)
    now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
    reminders.sweep(now=now)
    titles = set(Notice.objects.filter(recipient=bob).values_list("title", flat=True))
    assert "No DBS check is recorded for Nia Newcomer" in titles
    assert not Notice.objects.filter(recipient=newcomer).exists()


def test_opening_someones_compliance_record_is_audited(bob, alice, client_for) -> None:
    client_for(bob).get(f"/staff/{alice.pk}/compliance/")
    event = AuditEvent.objects.get(action="compliance.viewed")
    assert (event.actor, event.object_id) == (bob, str(alice.pk))
