"""The reminder engine: due items claimed once, shown at once, emailed once."""

import datetime as dt
import json
import threading
import zoneinfo
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client

from accounts.models import User
from common.registry import REMINDERS
from notices import engine as reminders
from notices.models import DigestLedger, Notice, ReminderLedger
from tests.auth import force_verified_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """A moment written as London wall-clock time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


def run(now: dt.datetime) -> reminders.SweepResult:
    return reminders.deliver(reminders.sweep(now=now))


@pytest.fixture
def due_things(organisation, dana):
    """A provider of our own, the only one: things with due moments, reminded to
    Dana. (The apps' providers have tests of their own; here they would add their
    reminders, such as the DSL's recurring tasks, to the counts.)"""
    things: list[list] = []  # [object, due_at, urgent, lead days]

    def provider(*, organisation, now):
        for obj, due_at, urgent, lead in things:
            if obj.organisation_id != organisation.pk:
                continue
            stage = reminders.stage_for(due_at=due_at, now=now, tz=LONDON, lead_days=lead)
            if stage:
                yield reminders.DueItem(
                    kind="test.thing",
                    obj=obj,
                    stage=stage,
                    recipients=list(User.objects.filter(pk=dana.pk)),
                    due_at=due_at,
                    title=f"Thing {obj.pk} is {stage}",
                    url=f"/staff/{obj.pk}/",
                    urgent=urgent,
                )

    def add(due_at: dt.datetime, *, urgent: bool = False, lead: tuple[int, ...] = (30, 7)):
        obj = UserFactory(organisation=organisation)
        things.append([obj, due_at, urgent, lead])
        return obj

    add.things = things
    with REMINDERS.only(provider):
        yield add


# --- stages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "stage"),
    [
        ("2026-10-31 12:00", None),
        ("2026-11-01 00:00", "30d"),
        ("2026-11-23 23:59", "30d"),
        ("2026-11-24 00:00", "7d"),
        ("2026-11-30 23:59", "7d"),
        ("2026-12-01 00:00", "due"),
        ("2026-12-07 23:00", "due"),
        ("2026-12-08 09:00", "overdue-1w"),
        ("2026-12-15 09:00", "overdue-2w"),
    ],
)
def test_stages_count_local_calendar_days(today: str, stage: str | None) -> None:
    due_at = reminders.local_midnight(dt.date(2026, 12, 1), LONDON)
    assert reminders.stage_for(due_at=due_at, now=at(today), tz=LONDON) == stage


# --- exactly once ---------------------------------------------------------------


def test_a_sweep_run_twice_sends_one_email(due_things, dana) -> None:
    due_things(at("2026-11-20 00:00"))
    first = run(at("2026-11-25 09:00"))
    second = run(at("2026-11-25 09:00"))
    assert first.counts() == {"due": 1, "claimed": 1, "sent": 1, "skipped": 0, "failed": 0}
    assert second.counts() == {"due": 1, "claimed": 0, "sent": 0, "skipped": 1, "failed": 0}
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(recipient=dana).count() == 1


def test_one_digest_a_day_however_many_reminders(due_things, dana) -> None:
    for day in (10, 20, 24):
        due_things(at(f"2026-11-{day} 00:00"))
    run(at("2026-11-25 08:00"))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [dana.email]
    assert "3 reminders" in message.subject
    assert message.body.count("\n- Thing ") == 3
    assert len(message.alternatives) == 1


def test_the_digest_waits_for_seven_in_the_morning_local_time(due_things) -> None:
    due_things(at("2026-11-20 00:00"))
    run(at("2026-11-25 06:59"))
    assert mail.outbox == []
    assert Notice.objects.count() == 1  # in the portal at once
    run(at("2026-11-25 07:05"))
    assert len(mail.outbox) == 1


def test_each_stage_is_sent_once_over_the_months(due_things) -> None:
    due_things(reminders.local_midnight(dt.date(2026, 12, 1), LONDON))
    day = dt.date(2026, 10, 25)
    while day <= dt.date(2026, 12, 20):
        for hour in (6, 9, 15):  # several sweeps a day
            run(dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON))
        day += dt.timedelta(days=1)
    things = ReminderLedger.objects.filter(kind="test.thing")  # not other apps' reminders
    stages = sorted(things.values_list("stage", flat=True))
    assert stages == ["30d", "7d", "due", "overdue-1w", "overdue-2w"]
    assert len(mail.outbox) == 5


def test_a_missed_day_catches_up(due_things) -> None:
    due_things(reminders.local_midnight(dt.date(2026, 11, 24), LONDON), lead=())
    # No sweep ran on the 24th at all.
    run(at("2026-11-25 10:00"))
    assert list(ReminderLedger.objects.values_list("stage", flat=True)) == ["due"]
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"])
def test_due_at_half_past_midnight_fires_once_across_the_clock_change(due_things, day):
    """On these days London's clocks jump forward (March) or back (October) at 01:00 UTC."""
    due_at = at(f"{day} 00:30")
    due_things(due_at, urgent=True, lead=())
    start = dt.datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=UTC) - dt.timedelta(hours=3)
    fired_at = []
    for quarter in range(4 * 8):  # every 15 minutes for 8 hours of real (UTC) time
        now = start + dt.timedelta(minutes=15 * quarter)
        if run(now).sent:
            fired_at.append(now)
    assert len(fired_at) == 1
    assert fired_at[0] >= due_at
    assert fired_at[0] - due_at < dt.timedelta(minutes=15)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Urgent: ")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_on_postgres_send_once(postgres, due_things, dana) -> None:
    for day in range(1, 21):
        due_things(at(f"2026-11-{day:02d} 00:00"), urgent=day % 2 == 0)
    results: list[reminders.SweepResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sweeper() -> None:
        try:
            barrier.wait()
            results.append(run(at("2026-11-25 09:00")))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.claimed for r in results) == 20
    assert ReminderLedger.objects.count() == 20
    urgent = [m.subject for m in mail.outbox if m.subject.startswith("Urgent")]
    digests = [m for m in mail.outbox if not m.subject.startswith("Urgent")]
    assert len(urgent) == len(set(urgent)) == 10
    assert len(digests) == 1, "one digest a day, however many sweeps"
    # A notice the other sweep committed after today's digest left waits for
    # tomorrow's; none is ever emailed twice.
    run(at("2026-11-26 09:00"))
    bodies = "".join(m.body for m in mail.outbox if not m.subject.startswith("Urgent"))
    for thing in Notice.objects.filter(urgent=False):
        assert bodies.count(f"- {thing.title} (due") == 1, thing.title
    assert not Notice.objects.filter(emailed_at__isnull=True).exists()


# --- failure ---------------------------------------------------------------------


def test_a_failed_send_is_not_marked_and_the_next_sweep_sends_it(due_things, settings) -> None:
    due_things(at("2026-11-20 00:00"))
    # A real SMTP connection to a port where nothing listens.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    failed = run(at("2026-11-25 09:00"))
    assert failed.failed == 1
    assert failed.sent == 0
    assert Notice.objects.get().emailed_at is None
    assert DigestLedger.objects.get().sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retried = run(at("2026-11-25 10:00"))
    assert retried.sent == 1
    assert len(mail.outbox) == 1
    run(at("2026-11-25 11:00"))
    assert len(mail.outbox) == 1


def test_notices_read_in_the_portal_are_not_emailed(due_things, dana) -> None:
    due_things(at("2026-11-20 00:00"))
    run(at("2026-11-25 06:00"))
    Notice.objects.update(read_at=at("2026-11-25 06:30"))
    run(at("2026-11-25 08:00"))
    assert mail.outbox == []


def test_urgent_reminders_raised_by_an_action_go_out_after_the_commit(
    organisation, dana, django_capture_on_commit_callbacks
) -> None:
    subject = UserFactory(organisation=organisation)
    item = reminders.DueItem(
        kind="test.urgent",
        obj=subject,
        stage="raised",
        recipients=[dana],
        due_at=at("2026-11-25 09:00"),
        title="Something urgent",
        url="/",
        urgent=True,
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert len(reminders.notify_now(organisation=organisation, item=item)) == 1
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    # The title says it is urgent, so the subject does not say it again.
    assert mail.outbox[0].subject == "Alder Play Therapy: Something urgent"
    assert reminders.notify_now(organisation=organisation, item=item) == []


# --- the shipped provider ------------------------------------------------------------


def test_admins_hear_when_an_invitee_has_not_set_up_after_three_days(
    organisation, bob, settings
) -> None:
    settings.SITE_URL = "https://safeguard.example.org"
    invited_at = at("2026-11-20 15:00")
    erin = UserFactory(
        organisation=organisation,
        full_name="Erin Evans",
        authenticator=False,
        invited_at=invited_at,
    )
    sign_in_reminders = ReminderLedger.objects.filter(kind="staff.sign_in_not_set_up")
    run(at("2026-11-23 14:00"))
    assert not sign_in_reminders.exists()
    run(at("2026-11-23 15:30"))
    notice = Notice.objects.get(recipient=bob)
    assert (
        notice.title == "Erin Evans has not finished setting up their sign-in (invited 20 November)"
    )
    assert notice.url == f"/staff/{erin.pk}/"
    run(at("2026-11-24 08:00"))
    assert len(mail.outbox) == 1
    assert f"https://safeguard.example.org/staff/{erin.pk}/" in mail.outbox[0].body

    # Once she has an authenticator, nothing more is due.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=erin, name="default", confirmed=True)
    run(at("2026-12-10 09:00"))
    assert sign_in_reminders.count() == 1


# --- the command --------------------------------------------------------------------


def test_send_reminders_prints_json_counts(due_things) -> None:
    due_things(at("2026-11-20 00:00"))
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--now=2026-11-25T09:00:00+00:00", stdout=out)
    assert json.loads(out.getvalue()) == {
        "now": "2026-11-25T09:00:00+00:00",
        "due": 1,
        "claimed": 1,
        "sent": 0,
        "skipped": 0,
        "failed": 0,
    }
    assert not ReminderLedger.objects.exists()

    out = StringIO()
    call_command("send_reminders", "--now=2026-11-25T09:00:00", stdout=out)
    counts = json.loads(out.getvalue())
    assert (counts["claimed"], counts["sent"]) == (1, 1)
    assert len(mail.outbox) == 1


def test_send_reminders_rejects_a_bad_time() -> None:
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("send_reminders", "--now=next tuesday")


# --- the notices page ----------------------------------------------------------------


def test_notices_page_unread_count_and_opening(client: Client, due_things, dana, alice) -> None:
    thing = due_things(at("2026-11-20 00:00"))
    run(at("2026-11-25 06:00"))
    force_verified_login(client, dana)
    page = client.get("/notices/").content.decode()
    assert f"Thing {thing.pk} is due" in page
    assert '1<span class="govuk-visually-hidden"> unread</span>' in page

    notice = Notice.objects.get()
    response = client.post(f"/notices/{notice.pk}/open/")
    assert response["Location"] == f"/staff/{thing.pk}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "unread</span>" not in client.get("/notices/").content.decode()

    other = Client()
    force_verified_login(other, alice)
    assert other.post(f"/notices/{notice.pk}/open/").status_code == 404
    assert f"Thing {thing.pk}" not in other.get("/notices/").content.decode()


def test_mark_all_read(client: Client, due_things, dana) -> None:
    due_things(at("2026-11-20 00:00"))
    due_things(at("2026-11-21 00:00"))
    run(at("2026-11-25 06:00"))
    force_verified_login(client, dana)
    client.post("/notices/read-all/")
    assert not Notice.objects.filter(read_at__isnull=True).exists()


# --- review findings, kept fixed ------------------------------------------------------


def test_a_yearly_due_date_is_reminded_every_year(due_things) -> None:
    """Reviewed, so due again a year later: the same stage is a new reminder."""
    due_things(reminders.local_midnight(dt.date(2026, 12, 1), LONDON), lead=(30,))
    run(at("2026-11-02 09:00"))
    due_things.things[0][1] = reminders.local_midnight(dt.date(2027, 12, 1), LONDON)
    run(at("2027-11-02 09:00"))
    things = ReminderLedger.objects.filter(kind="test.thing")
    assert sorted(things.values_list("stage", "due_on")) == [
        ("30d", dt.date(2026, 12, 1)),
        ("30d", dt.date(2027, 12, 1)),
    ]
    assert len(mail.outbox) == 2


def test_unread_notices_come_first(client: Client, due_things, dana) -> None:
    for day in (1, 2, 3):
        due_things(at(f"2026-11-0{day} 00:00"))
    run(at("2026-11-25 06:00"))
    oldest = Notice.objects.order_by("created_at", "pk").first()
    Notice.objects.exclude(pk=oldest.pk).update(read_at=at("2026-11-25 06:30"))
    force_verified_login(client, dana)
    page = client.get("/notices/").content.decode()
    first_title = page.index("safeguard-button-link")
    assert page.index(oldest.title) < page.index(Notice.objects.exclude(pk=oldest.pk).first().title)
    assert first_title < page.index(oldest.title)


def test_nobody_left_to_tell_means_not_claimed_yet(due_things, dana) -> None:
    due_things(at("2026-11-20 00:00"))
    User.objects.filter(pk=dana.pk).update(is_active=False)
    assert run(at("2026-11-25 09:00")).claimed == 0
    assert not ReminderLedger.objects.exists()
    User.objects.filter(pk=dana.pk).update(is_active=True)
    assert run(at("2026-11-25 10:00")).claimed == 1


def test_someone_deactivated_after_the_claim_gets_no_digest(due_things, dana) -> None:
    due_things(at("2026-11-20 00:00"))
    reminders.sweep(now=at("2026-11-25 09:00"))
    User.objects.filter(pk=dana.pk).update(is_active=False)
    digest = DigestLedger.objects.get()
    assert reminders.digest_send(digest_id=digest.pk) == 0
    assert mail.outbox == []


def test_rows_another_sweep_claimed_after_the_look_up_are_skipped(
    due_things, dana, monkeypatch
) -> None:
    """The ledger's unique key, not the look-up before the insert, is the claim:
    rows another sweep committed in between are skipped by the bulk insert, and
    only the rest get notices."""
    for day in range(1, 6):
        due_things(at(f"2026-11-{day:02d} 00:00"))
    assert reminders.sweep(now=at("2026-11-25 09:00")).claimed == 5
    for day in range(6, 9):
        due_things(at(f"2026-11-{day:02d} 00:00"))
    monkeypatch.setattr(reminders, "_claimed_keys", lambda organisation, items: set())

    again = reminders.sweep(now=at("2026-11-25 09:00"))

    assert (again.due, again.claimed, again.skipped) == (8, 3, 5)
    assert ReminderLedger.objects.count() == 8
    assert Notice.objects.count() == 8
    assert sorted(Notice.objects.values_list("ledger_id", flat=True)) == sorted(
        ReminderLedger.objects.values_list("pk", flat=True)
    )


def test_one_broken_organisation_does_not_stop_the_others(due_things, other_organisation):
    from accounts.models import Organisation

    Organisation.objects.filter(pk=other_organisation.pk).update(timezone="Mars/Olympus_Mons")
    due_things(at("2026-11-20 00:00"))
    result = run(at("2026-11-25 09:00"))
    assert result.claimed == 1
    assert result.sent == 1


def test_emails_show_dates_in_the_organisations_own_timezone(
    due_things, organisation, dana
) -> None:
    sydney = zoneinfo.ZoneInfo("Australia/Sydney")
    organisation.timezone = "Australia/Sydney"
    organisation.save()
    due_things(dt.datetime(2026, 12, 1, 0, 0, tzinfo=sydney), lead=())
    run(dt.datetime(2026, 12, 1, 9, 0, tzinfo=sydney))
    assert "(due 1 December 2026)" in mail.outbox[0].body


def test_urgent_notices_of_people_who_left_are_not_retried_forever(due_things, dana) -> None:
    due_things(at("2026-11-20 00:00"), urgent=True)
    reminders.sweep(now=at("2026-11-25 09:00"))
    User.objects.filter(pk=dana.pk).update(is_active=False)
    assert reminders.sweep(now=at("2026-11-25 10:00")).urgent_notices == []


def test_the_sweep_task_treats_a_bare_time_as_utc(due_things) -> None:
    from notices.tasks import sweep_reminders

    due_things(at("2026-11-20 00:00"))
    assert sweep_reminders("2026-11-25T09:00:00")["claimed"] == 1


def test_claiming_digests_costs_the_same_for_one_notice_or_many(
    due_things, django_assert_max_num_queries
) -> None:
    for day in range(1, 16):
        due_things(at(f"2026-11-{day:02d} 00:00"))
    reminders.sweep(now=at("2026-11-25 06:00"))  # before 07:00: notices, no digest
    with django_assert_max_num_queries(3):
        assert len(reminders.digests_claim(now=at("2026-11-25 08:00"))) == 1


def test_one_item_the_database_refuses_holds_back_no_other(postgres, organisation, dana) -> None:
    """The bulk claim fails as a whole; the items are then claimed one by one, so
    only the refused one waits (PostgreSQL: SQLite does not check lengths)."""
    good, bad = UserFactory(organisation=organisation), UserFactory(organisation=organisation)

    def provider(*, organisation, now):
        for obj, stage in ((good, "due"), (bad, "x" * 40)):  # the ledger's stage: 32 at most
            yield reminders.DueItem(
                kind="test.thing",
                obj=obj,
                stage=stage,
                recipients=[dana],
                due_at=now,
                title=f"Thing {obj.pk}",
                url=f"/staff/{obj.pk}/",
            )

    with REMINDERS.only(provider):
        result = reminders.sweep(now=at("2026-11-25 09:00"))
    assert (result.claimed, result.failed) == (1, 1)
    assert list(Notice.objects.values_list("title", flat=True)) == [f"Thing {good.pk}"]
