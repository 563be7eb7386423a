"""The online-practice registers, recurring tasks and training by role: what
each flags, the reminders each raises (counted per stage), and the dashboard
figures they feed."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from common.models import AppendOnlyError
from compliance import services as compliance
from dashboard import figures as dashboard
from notices import engine as reminders
from notices.models import Notice
from practice import services as practice
from practice.models import RecurringTask
from tests.auth import force_verified_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def stages(kind: str) -> list[tuple[str, str]]:
    return sorted(
        Notice.objects.filter(ledger__kind=kind).values_list("ledger__stage", "recipient__email")
    )


def figure(organisation, key: str) -> object:
    return dashboard.dashboard_for(organisation).figure(key).count


def test_a_platform_needs_an_assessment_before_approval_and_is_reminded(organisation, bob, dana):
    platform = practice.platform_add(organisation=organisation, name="Video", kind="video", by=bob)
    with pytest.raises(ValidationError, match="risk assessment"):
        practice.platform_approval_set(platform=platform, approved=True, by=bob)
    today = timezone.localdate()
    assessment = practice.platform_assess(
        platform=platform,
        by=dana,
        summary="Fine.",
        assessed_on=today,
        review_due=today + dt.timedelta(40),
    )
    practice.platform_approval_set(platform=platform, approved=True, by=bob)
    assert figure(organisation, "practice-platforms") == 0
    for days in (0, 10, 11, 40, 47):
        reminders.sweep(now=at(today + dt.timedelta(days)))
    expected = {("30d", p.email) for p in (bob, dana)} | {("due", p.email) for p in (bob, dana)}
    expected |= {("overdue-1w", p.email) for p in (bob, dana)}
    assert set(stages("practice.assessment")) == expected
    assert assessment.review_due == today + dt.timedelta(40)


def test_devices_must_be_protected_and_are_reminded_until_attested(organisation, alice):
    device = practice.device_register(staff=alice, description="Work mobile", by=alice)
    with pytest.raises(ValidationError, match="password protected"):
        practice.device_attest(
            device=device, by=alice, password_protected=True, kept_from_others=False
        )
    assert figure(organisation, "practice-devices") == 1
    reminders.sweep(now=at(timezone.localdate()))
    assert stages("practice.device") == [("due", alice.email)]
    practice.device_attest(device=device, by=alice, password_protected=True, kept_from_others=True)
    assert practice.devices_for(alice) == [device]
    reminders.sweep(now=at(timezone.localdate() + dt.timedelta(days=8)))
    assert stages("practice.device") == [("due", alice.email)]  # none while attested
    assert figure(organisation, "practice-devices") == 0


def test_an_account_with_too_few_holders_or_old_advice_is_flagged_weekly(
    organisation, bob, dana, alice
):
    account = practice.account_save(
        organisation=organisation,
        by=dana,
        platform="Instagram",
        handle="@alder",
        privacy="Private",
        holders=[dana],
        monitors=[dana, bob],
        advice_on=timezone.localdate() - dt.timedelta(days=400),
    )
    assert account.problems() == [
        "fewer than two staff hold access",
        "no safeguarding advice from the DSL in the last 12 months",
    ]
    assert figure(organisation, "practice-accounts") == 1
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    for days in (0, 1, 2, 7, 8):  # two weeks: one reminder each, to each keeper
        reminders.sweep(now=at(monday + dt.timedelta(days)))
    assert len({stage for stage, _ in stages("practice.account")}) == 2
    assert {email for _, email in stages("practice.account")} == {bob.email, dana.email}
    practice.account_save(
        organisation=organisation,
        by=dana,
        account=account,
        platform="Instagram",
        handle="@alder",
        privacy="Private",
        holders=[dana, bob],
        monitors=[dana, bob],
        advice_on=timezone.localdate(),
    )
    account.refresh_from_db()
    assert account.problems() == []
    before = len(stages("practice.account"))
    reminders.sweep(now=at(monday + dt.timedelta(days=14)))
    assert len(stages("practice.account")) == before
    # Holding an account makes managing online presence training a requirement.
    rows = {row.member: row for row in compliance.compliance_for([bob, alice], organisation)}
    assert "Managing the organisation's online presence" in rows[bob].gaps
    assert "Managing the organisation's online presence" not in rows[alice].gaps


def test_recurring_tasks_are_reminded_and_move_on_when_done(organisation, dana, bob):
    tasks = practice.tasks_ensure(organisation=organisation)
    assert sorted(task.title for task in tasks) == sorted(practice.DEFAULT_TASKS)
    assert practice.tasks_ensure(organisation=organisation) == tasks  # once
    task = RecurringTask.objects.get(title="Review of filtering and monitoring")
    assert task.owner == dana
    due = task.next_due
    for day in (due - dt.timedelta(14), due, due + dt.timedelta(7)):
        reminders.sweep(now=at(day))
    task_stages = set(
        Notice.objects.filter(
            ledger__kind="practice.task", ledger__object_id=str(task.pk)
        ).values_list("ledger__stage", flat=True)
    )
    assert task_stages == {"14d", "due", "overdue-1w"}
    assert figure(organisation, "practice-tasks") == 0  # not yet, by the real clock
    client = Client()
    force_verified_login(client, dana)
    response = client.post(
        f"/practice/tasks/{task.pk}/done/",
        {
            "done_on": timezone.localdate().isoformat(),
            "evidence": "Filters tested; log in drive.",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.next_due == timezone.localdate() + relativedelta(months=12)
    assert task.completions.get().evidence == "Filters tested; log in drive."


def test_training_by_role_shows_what_each_person_lacks(organisation, alice, bob, dana):
    compliance.training_record(
        staff=alice,
        by=bob,
        kind="safeguarding",
        level="Level 2",
        completed_on=timezone.localdate() - dt.timedelta(days=30),
    )
    compliance.training_record(
        staff=alice,
        by=bob,
        kind="online_safety",
        completed_on=timezone.localdate() - dt.timedelta(days=30),
    )
    rows = {row.member: row for row in compliance.compliance_for([alice, dana], organisation)}
    assert rows[alice].gaps == ("Online risks in therapy",)
    assert "DSL yearly update" in rows[dana].gaps
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR)
    client = Client()
    force_verified_login(client, director)
    page = client.get("/staff/compliance/").content.decode()
    assert "Online risks in therapy" in page
    assert figure(organisation, "staff-training") >= 2


def test_training_a_role_needs_is_reminded(organisation, alice, bob):
    # Alice (a therapist) has no online-risks-in-therapy training: admins hear of it
    # once two weeks have passed since she joined, then weekly.
    later = timezone.localdate() + dt.timedelta(days=20)
    reminders.sweep(now=at(later))
    reminders.sweep(now=at(later + dt.timedelta(days=7)))
    kinds = set(Notice.objects.values_list("ledger__kind", flat=True))
    assert "compliance.online_risks_therapy_missing" in kinds


def test_a_task_cannot_be_recorded_as_done_before_its_last_completion(organisation, dana):
    task = practice.tasks_ensure(organisation=organisation)[0]
    practice.task_complete(task=task, by=dana, done_on=timezone.localdate(), evidence="Done.")
    with pytest.raises(ValidationError, match="last done"):
        practice.task_complete(
            task=task,
            by=dana,
            evidence="Again.",
            done_on=timezone.localdate() - dt.timedelta(days=30),
        )


def test_an_assessment_lasts_at_most_a_year(organisation, bob, dana):
    platform = practice.platform_add(organisation=organisation, name="Video", kind="video", by=bob)
    with pytest.raises(ValidationError, match="12 months"):
        practice.platform_assess(
            platform=platform,
            by=dana,
            summary="x",
            assessed_on=timezone.localdate(),
            review_due=timezone.localdate() + dt.timedelta(days=800),
        )


@pytest.fixture
def kept_records(organisation, alice, bob, dana):
    """One of each practice record that is kept and never edited, with a
    column to try rewriting and its table."""
    platform = practice.platform_add(organisation=organisation, name="Video", kind="video", by=bob)
    assessment = practice.platform_assess(
        platform=platform, by=dana, summary="Waiting rooms.", assessed_on=timezone.localdate()
    )
    device = practice.device_register(staff=alice, description="Work mobile", by=alice)
    attestation = practice.device_attest(
        device=device, by=alice, password_protected=True, kept_from_others=True
    )
    task = practice.tasks_ensure(organisation=organisation)[0]
    completion = practice.task_complete(
        task=task, by=dana, done_on=timezone.localdate(), evidence="Filters tested."
    )
    return [
        (assessment, "summary", "practice_platformassessment"),
        (attestation, "kept_from_others", "practice_deviceattestation"),
        (completion, "evidence", "practice_taskcompletion"),
    ]


def test_assessments_attestations_and_completions_are_never_edited(kept_records):
    for record, column, _ in kept_records:
        rows = type(record).objects.filter(pk=record.pk)
        with pytest.raises(AppendOnlyError):
            rows.update(**{column: False if column == "kept_from_others" else "Rewritten."})
        with pytest.raises(AppendOnlyError):
            rows.delete()
        with pytest.raises(AppendOnlyError):
            record.save()
        with pytest.raises(AppendOnlyError):
            record.delete()
        assert rows.exists()


def test_postgres_refuses_changes_to_assessments_attestations_and_completions(
    postgres, kept_records
):
    for record, column, table in kept_records:
        value = False if column == "kept_from_others" else "Rewritten."
        # Table and column names come from the fixture, not from input.
        update = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608
        delete = f"DELETE FROM {table} WHERE id = %s"  # noqa: S608
        for sql, params in ((update, [value, record.pk]), (delete, [record.pk])):
            with (
                pytest.raises(ProgrammingError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, params)
        assert getattr(type(record).objects.get(pk=record.pk), column) == getattr(record, column)


@pytest.mark.parametrize(
    ("roles", "owner_role"),
    [
        ((Role.DEPUTY_DSL, Role.DSL, Role.ADMIN), Role.DSL),
        ((Role.ADMIN, Role.DEPUTY_DSL), Role.DEPUTY_DSL),
        ((Role.STAFF, Role.ADMIN), Role.ADMIN),
    ],
)
def test_recurring_tasks_are_owned_by_the_dsl_else_a_lead(organisation, roles, owner_role):
    for role in roles:
        UserFactory(organisation=organisation, role=role)
    practice.tasks_ensure(organisation=organisation)
    owners = {task.owner.role for task in RecurringTask.objects.filter(organisation=organisation)}
    assert owners == {owner_role}
