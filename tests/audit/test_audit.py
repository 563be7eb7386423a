"""The audit log: append-only, hash-chained, and every kind of tampering is caught."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import services as audit
from audit.models import AuditEvent, AuditLogImmutableError

pytestmark = pytest.mark.django_db

EVENTS = 6


def write_events(actor, n: int = EVENTS) -> list[AuditEvent]:
    return [
        audit.record(action="test.event", actor=actor, obj=actor, details={"n": i})
        for i in range(n)
    ]


def raw(sql: str, params: list) -> None:
    """Tamper the way someone with database access would, around the PostgreSQL trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def verify() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as error:
        return 1, str(error)
    return 0, out.getvalue()


def test_an_untouched_chain_verifies(alice) -> None:
    write_events(alice)
    code, message = verify()
    assert code == 0
    assert f"{EVENTS} events verified" in message


def test_each_event_links_to_the_one_before(alice) -> None:
    first, second, *_ = write_events(alice)
    assert first.previous_hash == "0" * 64
    assert second.previous_hash == first.hash
    assert second.seq == first.seq + 1
    assert first.organisation == alice.organisation


def test_the_application_cannot_change_or_delete_events(alice) -> None:
    event = write_events(alice, 1)[0]
    event.action = "something else"
    with pytest.raises(AuditLogImmutableError):
        event.save()
    with pytest.raises(AuditLogImmutableError):
        event.delete()
    with pytest.raises(AuditLogImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditLogImmutableError):
        AuditEvent.objects.all().delete()


def test_control_characters_in_details_are_escaped(alice) -> None:
    event = audit.record(
        action="auth.login_failed",
        details={"email": "eve@x.test\r\nINFO forged line", "nested": ["a\x1b[31m"]},
        actor_label="eve\nmallory",
    )
    event.refresh_from_db()
    assert event.details["email"] == "eve@x.test\\x0d\\x0aINFO forged line"
    assert event.details["nested"] == ["a\\x1b[31m"]
    assert event.actor_label == "eve\\x0amallory"
    assert verify()[0] == 0


FIELDS = {
    "action": "'auth.login'",
    "object_id": "'999'",
    "actor_label": "'someone@else.test'",
    "details": "'{\"n\": 42}'",
    "occurred_at": "occurred_at + interval '1 second'",
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["edit", "delete", "swap"]),
    index=st.integers(min_value=0, max_value=EVENTS - 1),
    other=st.integers(min_value=0, max_value=EVENTS - 1),
    field=st.sampled_from(sorted(FIELDS)),
)
def test_any_edit_delete_or_reorder_is_caught(alice, kind, index, other, field) -> None:
    # Each example starts from a fresh chain in its own savepoint.
    from django.db import transaction

    # (A savepoint, not an atomic block: events are chained as a block commits.)
    savepoint = transaction.savepoint()
    try:
        events = write_events(alice)
        target = events[index]
        if kind == "edit":
            value = FIELDS[field]
            if field == "occurred_at" and connection.vendor != "postgresql":
                value = "datetime(occurred_at, '+1 second')"
            # field and value come from FIELDS above, never from input.
            sql = f"UPDATE safeguard_auditevent SET {field} = {value} WHERE id = %s"  # noqa: S608
            raw(sql, [target.pk])
        elif kind == "delete":
            raw("DELETE FROM safeguard_auditevent WHERE id = %s", [target.pk])
        else:
            partner = events[other if other != index else (index + 1) % EVENTS]
            # Reorder: give the two rows each other's place in the sequence.
            raw("UPDATE safeguard_auditevent SET seq = seq + 1000000 WHERE id = %s", [target.pk])
            raw(
                "UPDATE safeguard_auditevent SET seq = %s WHERE id = %s",
                [target.seq, partner.pk],
            )
            raw("UPDATE safeguard_auditevent SET seq = %s WHERE id = %s", [partner.seq, target.pk])
        code, message = verify()
        assert code == 1, f"{kind} of event #{target.seq} ({field}) went unnoticed"
        assert "Audit chain broken at event #" in message
    finally:
        transaction.savepoint_rollback(savepoint)


def test_the_report_names_the_first_broken_event(alice) -> None:
    events = write_events(alice)
    raw("UPDATE safeguard_auditevent SET action = 'forged' WHERE id = %s", [events[3].pk])
    code, message = verify()
    assert code == 1
    assert f"event #{events[3].seq} (id {events[3].pk}, forged): contents do not match" in message


def test_cutting_off_the_newest_events_is_caught(alice) -> None:
    events = write_events(alice)
    raw("DELETE FROM safeguard_auditevent WHERE id = %s", [events[-1].pk])
    code, message = verify()
    assert code == 1
    assert "newest events are missing" in message


def test_postgres_refuses_update_and_delete(postgres, alice) -> None:
    from django.db import DatabaseError, transaction

    event = write_events(alice, 1)[0]
    for sql in (
        "UPDATE safeguard_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM safeguard_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "test.event"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(postgres, alice) -> None:
    """Eight threads, each with its own connection, appending at once."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                audit.record(action="test.concurrent", actor=alice, details={"w": n, "i": i})
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 80
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 81))
    assert verify()[0] == 0


def test_bidi_overrides_and_unicode_line_breaks_are_escaped(alice) -> None:
    event = audit.record(action="test.event", details={"reason": "abc\u202edcba\u2028next"})
    assert event.details["reason"] == "abc\\u202edcba\\u2028next"


def test_the_chain_is_keyed_so_database_access_alone_cannot_forge_it(alice, settings) -> None:
    write_events(alice, 2)
    assert verify()[0] == 0
    settings.AUDIT_CHAIN_KEY = "a different key that a database-only attacker would have to guess"
    code, message = verify()
    assert code == 1
    assert "event #1" in message
