"""The DBS level online work with children needs: what blocks a member of staff,
how the staff compliance pages flag a check below the level, the reminder that
chases it, and the setting itself."""

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import OnlineDBSLevel, Organisation, User
from audit.models import AuditEvent
from compliance import services as compliance
from compliance.models import DBSCheck, DBSLevel, TrainingKind, TrainingRecord
from notices import engine as reminders
from notices.models import Notice
from tests.auth import force_verified_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = dt.date(2026, 3, 1)


def dbs(member: User, by: User, level: str, issued_on: dt.date) -> DBSCheck:
    return DBSCheck.objects.create(
        organisation=member.organisation,
        staff=member,
        level=level,
        issued_on=issued_on,
        recorded_by=by,
    )


def trained(member: User, by: User, *kinds: str, on: dt.date = dt.date(2026, 1, 5)) -> None:
    for kind in kinds or (
        TrainingKind.SAFEGUARDING,
        TrainingKind.ONLINE_SAFETY,
        TrainingKind.ONLINE_RISKS_THERAPY,
    ):
        TrainingRecord.objects.create(
            organisation=member.organisation,
            staff=member,
            kind=kind,
            completed_on=on,
            recorded_by=by,
        )


def requiring(organisation: Organisation, level: str) -> None:
    organisation.online_dbs_level = level
    organisation.save()


def test_the_organisations_choices_are_dbs_levels() -> None:
    # accounts may not import compliance, so it repeats the values: they must agree.
    levels = dict(DBSLevel.choices)
    assert {value: levels[value] for value in OnlineDBSLevel.values} == dict(OnlineDBSLevel.choices)
    assert Organisation().online_dbs_level == DBSLevel.ENHANCED


def test_a_standard_check_blocks_online_work_and_says_which_level_is_needed(alice, bob) -> None:
    dbs(alice, bob, DBSLevel.STANDARD, dt.date(2025, 6, 1))
    trained(alice, bob)
    assert compliance.online_work_blockers(alice, today=TODAY) == [
        "The DBS check (Standard, issued 1 June 2025) is Standard; online work with "
        "children needs Enhanced."
    ]
    assert not compliance.dbs_meets_online_level(alice, today=TODAY)
    # Its existing callers ask only whether a check is current: it still is.
    assert compliance.dbs_current(alice, today=TODAY)


@pytest.mark.parametrize(
    ("held", "required", "meets"),
    [
        (DBSLevel.ENHANCED_BARRED, OnlineDBSLevel.ENHANCED, True),
        (DBSLevel.ENHANCED, OnlineDBSLevel.ENHANCED, True),
        (DBSLevel.ENHANCED, OnlineDBSLevel.ENHANCED_BARRED, False),
        (DBSLevel.BASIC, OnlineDBSLevel.ENHANCED, False),
        (DBSLevel.STANDARD, OnlineDBSLevel.ENHANCED_BARRED, False),
    ],
)
def test_which_levels_satisfy_which_requirement(
    organisation, alice, bob, held, required, meets
) -> None:
    requiring(organisation, required)
    dbs(alice, bob, held, dt.date(2025, 6, 1))
    trained(alice, bob)
    alice.refresh_from_db()
    assert compliance.dbs_meets_online_level(alice, today=TODAY) is meets
    blockers = compliance.online_work_blockers(alice, today=TODAY)
    assert (blockers == []) is meets
    if not meets:
        assert blockers == [
            f"The DBS check ({DBSLevel(held).label}, issued 1 June 2025) is "
            f"{DBSLevel(held).label}; online work with children needs "
            f"{DBSLevel(required).label}."
        ]


def test_enhanced_does_not_satisfy_a_barred_list_requirement_once_the_setting_changes(
    organisation, alice, bob
) -> None:
    dbs(alice, bob, DBSLevel.ENHANCED, dt.date(2025, 6, 1))
    trained(alice, bob)
    assert compliance.online_work_blockers(alice, today=TODAY) == []
    requiring(organisation, OnlineDBSLevel.ENHANCED_BARRED)
    alice.refresh_from_db()
    assert compliance.online_work_blockers(alice, today=TODAY) == [
        "The DBS check (Enhanced, issued 1 June 2025) is Enhanced; online work with children "
        "needs Enhanced with children's barred list."
    ]


def test_a_lapsed_check_is_named_with_the_day_it_lapsed(alice, bob) -> None:
    dbs(alice, bob, DBSLevel.ENHANCED, dt.date(2023, 1, 10))  # 36 months: 10 January 2026
    trained(alice, bob)
    assert compliance.online_work_blockers(alice, today=TODAY) == [
        "The DBS check (Enhanced, issued 10 January 2023) lapsed on 10 January 2026: checks "
        "are renewed every 36 months."
    ]
    assert not compliance.dbs_meets_online_level(alice, today=TODAY)
    # The day before it lapsed, nothing stood in the way.
    assert compliance.online_work_blockers(alice, today=dt.date(2026, 1, 9)) == []


def test_no_check_at_all_is_a_blocker(alice, bob) -> None:
    trained(alice, bob)
    assert compliance.online_work_blockers(alice, today=TODAY) == [
        "No DBS check is recorded. Online work with children needs a current Enhanced check."
    ]
    assert not compliance.dbs_meets_online_level(alice, today=TODAY)


def test_missing_and_overdue_training_is_named(alice, bob) -> None:
    dbs(alice, bob, DBSLevel.ENHANCED, dt.date(2025, 6, 1))
    trained(alice, bob, TrainingKind.SAFEGUARDING)
    trained(alice, bob, TrainingKind.ONLINE_SAFETY, on=dt.date(2024, 11, 20))
    assert compliance.online_work_blockers(alice, today=TODAY) == [
        "Online risks in therapy training is required and none is recorded.",
        "Online safety training was due to be refreshed on 20 November 2025 and is overdue.",
    ]
    # Training does not bear on the DBS check itself.
    assert compliance.dbs_meets_online_level(alice, today=TODAY)


def test_blockers_take_a_fixed_handful_of_queries(
    alice, bob, django_assert_max_num_queries
) -> None:
    dbs(alice, bob, DBSLevel.STANDARD, dt.date(2025, 6, 1))
    trained(alice, bob)
    with django_assert_max_num_queries(4):
        assert compliance.online_work_blockers(alice, today=TODAY)
    with django_assert_max_num_queries(1):
        compliance.dbs_meets_online_level(alice, today=TODAY)


def test_staff_compliance_flags_and_counts_a_check_below_the_level(
    organisation, alice, bob, client_for
) -> None:
    today = timezone.localdate()
    dbs(alice, bob, DBSLevel.STANDARD, today - dt.timedelta(days=100))
    colleague = UserFactory(organisation=organisation, full_name="Cal Current")
    dbs(colleague, bob, DBSLevel.ENHANCED, today - dt.timedelta(days=100))
    as_bob = client_for(bob)
    page = as_bob.get("/staff/compliance/").content.decode()
    assert page.count("Standard — online work needs Enhanced") == 1
    assert page.count("Below required level") == 1
    assert "DBS checks below the level online work needs (Enhanced): <strong>1</strong>" in page
    # Bob himself has no check at all: counted as missing, not as below the level.
    assert "DBS checks lapsed or not recorded: <strong>1</strong>" in page

    detail = as_bob.get(f"/staff/{alice.pk}/compliance/").content.decode()
    assert "Standard — online work needs Enhanced" in detail
    assert "is Standard; online work with children needs Enhanced." in detail
    mine = client_for(colleague).get(f"/staff/{colleague.pk}/compliance/").content.decode()
    assert "Below required level" not in mine


def test_a_check_below_the_level_is_chased_like_a_lapsed_one(organisation, alice, bob) -> None:
    recorded = dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)
    check = dbs(alice, bob, DBSLevel.STANDARD, dt.date(2026, 10, 1))
    DBSCheck.objects.filter(pk=check.pk).update(recorded_at=recorded)

    def sweep(day: str) -> None:
        now = dt.datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=LONDON)
        reminders.deliver(reminders.sweep(now=now))

    sweep("2026-11-02")
    sweep("2026-11-03")  # the same stage again: not sent twice
    below = Notice.objects.filter(ledger__kind="compliance.dbs_below_level")
    assert set(below.values_list("recipient", flat=True)) == {alice.pk, bob.pk}
    assert below.get(recipient=alice).title == (
        "Alice Adeyemi's DBS check is Standard; online work with children needs Enhanced"
    )
    sweep("2026-11-09")
    assert set(below.values_list("ledger__stage", flat=True)) == {"due", "overdue-1w"}
    dbs(alice, bob, DBSLevel.ENHANCED, dt.date(2026, 11, 10))
    sweep("2026-11-16")
    assert not below.filter(ledger__stage="overdue-2w").exists()


@pytest.fixture
def operator(organisation) -> User:
    return UserFactory(organisation=organisation, is_staff=True, is_superuser=True)


def test_the_operator_changes_the_level_and_it_is_audited(
    client: Client, operator, organisation
) -> None:
    force_verified_login(client, operator)
    url = f"/admin/safeguard/organisation/{organisation.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="online_dbs_level"' in form
    assert "regulated activity" in form
    response = client.post(
        url,
        {
            "name": organisation.name,
            "slug": organisation.slug,
            "timezone": organisation.timezone,
            "default_review_interval_months": 12,
            "dbs_recheck_months": 36,
            "online_dbs_level": "enhanced_barred",
            "parent_language": "en-gb",
            "safeguarding_title": "lead",
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.online_dbs_level == OnlineDBSLevel.ENHANCED_BARRED
    event = AuditEvent.objects.get(action="organisation.settings_changed")
    assert (event.actor, event.organisation, event.object_id) == (
        operator,
        organisation,
        str(organisation.pk),
    )
    assert event.details == {
        "changed": {"online_dbs_level": {"from": "enhanced", "to": "enhanced_barred"}}
    }


def test_a_level_that_is_not_offered_is_refused_beside_the_field(
    client: Client, operator, organisation
) -> None:
    force_verified_login(client, operator)
    response = client.post(
        f"/admin/safeguard/organisation/{organisation.pk}/change/",
        {
            "name": organisation.name,
            "slug": organisation.slug,
            "timezone": organisation.timezone,
            "default_review_interval_months": 12,
            "dbs_recheck_months": 36,
            "online_dbs_level": "basic",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.online_dbs_level == OnlineDBSLevel.ENHANCED
    assert not AuditEvent.objects.filter(action="organisation.settings_changed").exists()


def test_an_organisation_admin_cannot_reach_the_setting_in_the_django_admin(
    organisation, bob, client_for
) -> None:
    response = client_for(bob).get(f"/admin/safeguard/organisation/{organisation.pk}/change/")
    assert response.status_code in {302, 403, 404}
