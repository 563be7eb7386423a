"""The audit chain's head is the last lock a transaction takes, and held briefly.

Issue 22: a workflow step locked the incident (and, through select_related, its
organisation) and then claimed the audit head, while a page read or a chronology
entry had claimed the head first and, at COMMIT, waited for a foreign-key check
on the row the step held. Each waited for the other: PostgreSQL killed one and
the person saw a 500. These tests drive that interleaving with two connections,
step by step, and check what the fix promises: events are chained as their
transaction commits, gapless, in order, and never without their action.
"""

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from audit.models import AuditEvent
from incidents import services
from incidents.models import ChronologyEntry, Incident
from incidents.services._shared import _locked
from tests.factories import IncidentFactory
from tests.real_services import wait_until


class Failed(Exception):
    pass


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def waiting_for_a_lock(pid: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def in_thread(work: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:  # surfaced by the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def incident(organisation, alice) -> Incident:
    return IncidentFactory(organisation=organisation, reporter=alice)


def _page_read(incident: Incident, reader: User) -> Callable[[], object]:
    # What every incident page does before it renders: one event, in autocommit.
    return lambda: audit.record(
        action="incident.viewed", actor=reader, obj=incident, details={"page": "detail"}
    )


def _entry(incident: Incident, author: User) -> Callable[[], object]:
    return lambda: services.chronology_add(
        incident=incident,
        by=author,
        kind="note",
        text="Spoke to the school.",
        happened_at=timezone.now() - dt.timedelta(minutes=5),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other", [_page_read, _entry], ids=["page read", "chronology entry"])
def test_a_step_holding_the_incident_and_a_colleague_writing_to_it_both_finish(
    postgres, incident, dana, deputy, other
) -> None:
    """The step locks the incident first; the colleague's read or entry then runs
    to COMMIT; only then does the step go on to its audit event."""
    errors: list[BaseException] = []
    step_holds_incident = threading.Event()
    go_on = threading.Event()
    other_pid: list[int] = []

    def step() -> None:
        with transaction.atomic():
            _locked(incident)  # the lock every workflow step takes first
            step_holds_incident.set()
            if not go_on.wait(30):
                raise Failed("the test never let the step go on")
            services.incident_triage(incident=incident, by=dana, decision="Seen.", risk="high")

    def colleague() -> None:
        other_pid.append(backend_pid())
        other(incident, deputy)()

    stepping = in_thread(step, errors)
    assert step_holds_incident.wait(30)
    writing = in_thread(colleague, errors)
    # The colleague either finishes or is left waiting on the step's lock; on
    # the old code it waited holding the audit head, so the step, going on,
    # waited for the colleague: a deadlock.
    wait_until(lambda: other_pid, 30, "the colleague's connection")
    wait_until(
        lambda: not writing.is_alive() or waiting_for_a_lock(other_pid[0]),
        30,
        "the colleague to finish or wait",
    )
    go_on.set()
    stepping.join(60)
    writing.join(60)

    assert errors == []
    assert Incident.objects.get(pk=incident.pk).triaged_at is not None
    assert AuditEvent.objects.filter(action="incident.triaged").count() == 1
    report = audit.verify_chain()
    assert report.intact, report.problem


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_holds_the_audit_head_only_while_it_commits(
    postgres, incident, dana
) -> None:
    """A step that has recorded its event still leaves the head free to others
    until it commits; then its event is in the chain with the step's change."""
    audit.record(action="test.first", actor=dana)  # the head row exists
    recorded = threading.Event()
    commit = threading.Event()
    errors: list[BaseException] = []

    def step() -> None:
        with transaction.atomic():
            services.incident_triage(incident=incident, by=dana, decision="Seen.", risk="high")
            recorded.set()
            if not commit.wait(30):
                raise Failed("the test never let the step commit")

    stepping = in_thread(step, errors)
    assert recorded.wait(30)
    # Another writer takes the head at once, while the step is still open...
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM safeguard_auditchainhead WHERE id = 1 FOR UPDATE NOWAIT")
        assert cursor.fetchone() == (1,)
    assert not AuditEvent.objects.filter(action="incident.triaged").exists()
    commit.set()
    stepping.join(60)

    assert errors == []
    # ...and the step's event followed the first, with its change.
    triaged = AuditEvent.objects.get(action="incident.triaged")
    assert triaged.seq > AuditEvent.objects.get(action="test.first").seq
    assert Incident.objects.get(pk=incident.pk).triaged_at is not None
    assert audit.verify_chain().intact


def record_then_fail(actor: User) -> None:
    with transaction.atomic():
        audit.record(action="test.undone", actor=actor)
        raise Failed


@pytest.mark.django_db
def test_an_event_recorded_in_a_rolled_back_savepoint_is_not_chained(dana) -> None:
    with transaction.atomic():
        audit.record(action="test.kept", actor=dana)
        with pytest.raises(Failed):
            record_then_fail(dana)
        audit.record(action="test.kept_too", actor=dana)
        # Nothing is chained before the transaction ends.
        assert not AuditEvent.objects.exists()

    assert list(AuditEvent.objects.values_list("seq", "action")) == [
        (1, "test.kept"),
        (2, "test.kept_too"),
    ]
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_a_step_that_fails_after_recording_leaves_no_event(incident, dana) -> None:
    def triage_then_fail() -> None:
        with transaction.atomic():
            services.incident_triage(incident=incident, by=dana, decision="Seen.", risk="high")
            raise Failed

    with pytest.raises(Failed):
        triage_then_fail()
    assert not AuditEvent.objects.exists()
    assert not ChronologyEntry.objects.filter(incident=incident).exists()
    audit.record(action="test.after", actor=dana)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_events_of_one_transaction_are_chained_in_the_order_recorded(incident, dana) -> None:
    with transaction.atomic():
        services.incident_triage(incident=incident, by=dana, decision="Seen.", risk="high")
        services.chronology_add(
            incident=incident,
            by=dana,
            kind="note",
            text="Called the parent.",
            happened_at=timezone.now() - dt.timedelta(minutes=1),
        )
    # (Other events, such as the chronology entry's seal, may come between.)
    events = list(AuditEvent.objects.filter(action__startswith="incident.").order_by("seq"))
    assert [event.action for event in events] == ["incident.triaged", "incident.entry_added"]
    assert events[0].occurred_at <= events[1].occurred_at
    assert audit.verify_chain().intact


def test_record_returns_the_chained_event_outside_a_transaction(db, dana) -> None:
    event = audit.record(action="test.event", actor=dana)
    assert event.pk is not None
    assert event.seq == 1
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


@pytest.mark.django_db(transaction=True)
def test_colleagues_add_to_an_incident_while_a_step_on_it_is_still_open(
    postgres, incident, dana, deputy
) -> None:
    """A step that has changed the incident (and recorded its event) holds the
    incident row, but not in a way that stops others referring to it: a
    colleague's chronology entry and page read go through without waiting."""
    errors: list[BaseException] = []
    step_done = threading.Event()
    commit = threading.Event()

    def step() -> None:
        with transaction.atomic():
            services.incident_triage(incident=incident, by=dana, decision="Seen.", risk="high")
            step_done.set()
            if not commit.wait(60):
                raise Failed("the test never let the step commit")

    stepping = in_thread(step, errors)
    assert step_done.wait(30)

    def colleague() -> None:
        _entry(incident, deputy)()
        _page_read(incident, deputy)()

    writing = in_thread(colleague, errors)
    try:
        wait_until(lambda: not writing.is_alive(), 30, "the colleague, while the step is open")
    finally:
        commit.set()
    stepping.join(60)

    assert errors == []
    actions = list(
        AuditEvent.objects.filter(action__startswith="incident.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["incident.entry_added", "incident.viewed", "incident.triaged"]
    assert audit.verify_chain().intact
