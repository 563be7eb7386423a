"""A page read that PostgreSQL picks as a deadlock's victim is served again, not a 500."""

import logging
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from audit import services as audit
from audit.models import AuditEvent
from tests.auth import force_verified_login
from tests.factories import IncidentFactory
from tests.real_services import wait_until


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def someone_else_waits_for_a_lock(*mine: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND NOT pid = ANY(%s)",
            [list(mine)],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_read_that_loses_a_deadlock_is_served_again(
    postgres, organisation, alice, dana, caplog
) -> None:
    """A real deadlock: another transaction holds the audit head and then asks
    for the organisation's row FOR UPDATE, while the page read holds a share of
    that row and waits for the head. PostgreSQL rolls the read back; the reader
    gets the page all the same."""
    incident = IncidentFactory(organisation=organisation, reporter=alice)
    audit.record(action="test.first", actor=dana)  # the head row exists
    client = Client()
    force_verified_login(client, dana)
    main_pid = backend_pid()
    holder_pid: list[int] = []
    head_held = threading.Event()
    go_on = threading.Event()
    errors: list[BaseException] = []
    responses = []

    def holder() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                holder_pid.append(backend_pid())
                # Let the reader be the one PostgreSQL picks as the victim.
                cursor.execute("SET LOCAL deadlock_timeout = '20s'")
                cursor.execute("SELECT 1 FROM safeguard_auditchainhead WHERE id = 1 FOR UPDATE")
                head_held.set()
                if go_on.wait(60):
                    cursor.execute(
                        "SELECT 1 FROM safeguard_organisation WHERE id = %s FOR UPDATE",
                        [organisation.pk],
                    )
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    def read() -> None:
        try:
            responses.append(client.get(f"/incidents/{incident.pk}/"))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    holding = threading.Thread(target=holder)
    holding.start()
    assert head_held.wait(30)
    reading = threading.Thread(target=read)
    with caplog.at_level(logging.WARNING, logger="common.middleware"):
        reading.start()
        try:
            wait_until(
                lambda: someone_else_waits_for_a_lock(main_pid, holder_pid[0]),
                30,
                "the page read to wait for the head",
            )
        finally:
            go_on.set()
        reading.join(90)
        holding.join(90)

    assert errors == []
    assert responses[0].status_code == 200
    assert "lost a deadlock; serving it again" in caplog.text
    # The read is in the audit log once: the attempt that lost was rolled back.
    assert AuditEvent.objects.filter(action="incident.viewed").count() == 1
    assert audit.verify_chain().intact
