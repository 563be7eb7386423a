"""Policy reminders: the stages of a review, who hears, and staff who have not read."""

import datetime as dt
import zoneinfo

import pytest

from notices import engine as reminders
from notices.models import Notice, ReminderLedger
from policies import services
from policies.models import Policy

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def sweep(day: dt.date) -> None:
    reminders.deliver(reminders.sweep(now=dt.datetime.combine(day, dt.time(9), tzinfo=LONDON)))


def approved_policy(organisation, owner, review_due: dt.date, audience=()) -> Policy:
    draft = services.policy_create(
        organisation=organisation,
        by=owner,
        title="Remote Sessions Policy",
        category="remote_sessions",
        body="Text",
        owner=owner,
        audience_roles=list(audience),
    )
    services.version_approve(
        draft=draft,
        by=owner,
        approved_on=review_due - dt.timedelta(days=365),
        approved_by_name="Board",
        review_due=review_due,
    )
    return Policy.objects.get(pk=draft.policy_id)


def test_review_stages_go_to_the_owner_and_directors(organisation, bob, director, alice):
    due = dt.date(2027, 3, 1)
    policy = approved_policy(organisation, bob, due)
    day = due - dt.timedelta(days=75)
    while day <= due + dt.timedelta(days=15):
        sweep(day)
        day += dt.timedelta(days=1)
    rows = ReminderLedger.objects.filter(kind="policy.review_due", object_id=str(policy.pk))
    assert sorted(rows.values_list("stage", flat=True)) == [
        "30d",
        "60d",
        "7d",
        "due",
        "overdue-1w",
        "overdue-2w",
    ]
    for ledger in rows:
        assert set(ledger.notices.values_list("recipient__full_name", flat=True)) == {
            "Bob Bennett",
            "Dee Director",
        }
    assert not Notice.objects.filter(recipient=alice, ledger__kind="policy.review_due").exists()


def test_reviewing_without_changes_ends_the_reminders(organisation, bob, director) -> None:
    due = dt.date(2027, 3, 1)
    policy = approved_policy(organisation, bob, due)
    sweep(due - dt.timedelta(days=50))  # "60d" sent
    services.review_without_changes(policy=policy, by=bob, reviewed_on=dt.date(2026, 11, 20))
    sweep(due - dt.timedelta(days=5))
    stages = set(
        ReminderLedger.objects.filter(kind="policy.review_due").values_list("stage", flat=True)
    )
    assert stages == {"60d"}


def test_staff_who_have_not_read_it_are_reminded_after_14_days(organisation, bob, alice, dana):
    policy = approved_policy(organisation, bob, dt.date(2027, 11, 1), audience=["staff", "dsl"])
    version = policy.versions.get()
    services.acknowledge(version=version, user=dana)
    effective = version.effective_from
    sweep(effective + dt.timedelta(days=13))
    assert not Notice.objects.filter(ledger__kind="policy.unread").exists()
    sweep(effective + dt.timedelta(days=14))
    unread = Notice.objects.filter(ledger__kind="policy.unread")
    assert list(unread.values_list("recipient__email", flat=True)) == ["alice@alder.test"]
    assert unread.get().title == "Please read Remote Sessions Policy (v1)"
