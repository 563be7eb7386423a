"""The audit chain's head: MAC'd, moved only one event forward, and checked against
signed checkpoints kept outside the database (issue 22: "The audit chain can be
cut short unnoticed")."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit import services as audit
from audit.checkpoints import checkpoint_render, checkpoint_take
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from tests.audit.test_audit import raw, write_events

pytestmark = pytest.mark.django_db


def verify(against: Path | None = None) -> tuple[int, str]:
    out = StringIO()
    args = ["--against", str(against)] if against else []
    try:
        call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return 1, str(error)
    return 0, out.getvalue()


def checkpoint_file(tmp_path: Path) -> Path:
    """A checkpoint of the head as it stands, as the beat task writes it."""
    path = tmp_path / "checkpoint.json"
    path.write_bytes(checkpoint_render(checkpoint_take()))
    return path


def head() -> AuditChainHead:
    return AuditChainHead.objects.get(pk=1)


def cut_tail(keep: int, *, head_mac: str) -> None:
    """Delete every event after #keep and move the head back to it, around the triggers."""
    kept = AuditEvent.objects.get(seq=keep)
    raw("DELETE FROM safeguard_auditevent WHERE seq > %s", [keep])
    raw(
        "UPDATE safeguard_auditchainhead SET seq = %s, hash = %s, mac = %s WHERE id = 1",
        [keep, kept.hash, head_mac],
    )


def test_the_head_carries_a_mac_of_its_seq_and_hash(alice) -> None:
    write_events(alice, 3)
    assert head().seq == 3
    assert head().mac == audit.head_mac(3, head().hash)
    assert head().mac != audit.head_mac(2, head().hash)


def test_an_intact_chain_reaches_its_checkpoint(alice, tmp_path) -> None:
    write_events(alice, 4)
    path = checkpoint_file(tmp_path)
    write_events(alice, 2)  # the chain grows past the checkpoint: still fine
    code, message = verify(path)
    assert code == 0, message
    assert "6 events verified" in message
    assert "(event #4)" in message


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_its_mac(alice) -> None:
    write_events(alice, 6)
    cut_tail(4, head_mac="f" * 64)  # no audit key: the attacker cannot MAC the head
    code, message = verify()
    assert code == 1
    assert "the chain head (#4): its MAC does not verify" in message


def test_a_cut_tail_with_an_old_head_put_back_is_caught_by_the_checkpoint(alice, tmp_path) -> None:
    write_events(alice, 4)
    saved_mac = head().mac  # a head saved earlier, say from an old backup
    write_events(alice, 2)
    path = checkpoint_file(tmp_path)
    cut_tail(4, head_mac=saved_mac)
    assert verify()[0] == 0  # inside the database alone, nothing shows
    code, message = verify(path)
    assert code == 1
    assert "the chain ends at #4 but the checkpoint of" in message
    assert "saw #6" in message


def test_a_cut_tail_written_over_past_the_checkpoint_is_caught(alice, tmp_path) -> None:
    write_events(alice, 4)
    saved_mac = head().mac
    write_events(alice, 2)
    path = checkpoint_file(tmp_path)
    cut_tail(4, head_mac=saved_mac)
    write_events(alice, 3)  # Safeguard carries on from #4: #5 to #7 are new events
    assert verify()[0] == 0
    code, message = verify(path)
    assert code == 1
    assert "event #6 is not the one the checkpoint of" in message


def test_emptying_the_log_and_its_head_is_caught_by_the_checkpoint(alice, tmp_path) -> None:
    write_events(alice, 5)
    path = checkpoint_file(tmp_path)
    raw("DELETE FROM safeguard_auditevent", [])
    raw("DELETE FROM safeguard_auditchainhead", [])
    assert verify()[0] == 0  # looks like a new installation
    code, message = verify(path)
    assert code == 1
    assert "the chain ends at #0 but the checkpoint of" in message


def test_truncate_and_a_reset_head_are_caught(postgres, alice, tmp_path) -> None:
    write_events(alice, 5)
    path = checkpoint_file(tmp_path)
    with connection.cursor() as cursor:
        # The test's own writes leave deferred FK checks pending, which TRUNCATE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("TRUNCATE safeguard_auditevent")
        cursor.execute(
            "UPDATE safeguard_auditchainhead SET seq = 0, hash = %s, mac = '' WHERE id = 1",
            [GENESIS_HASH],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    code, message = verify()
    assert code == 1
    assert "its MAC does not verify" in message
    code, message = verify(path)
    assert code == 1
    assert "the chain ends at #0 but the checkpoint of" in message


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("UPDATE safeguard_auditchainhead SET seq = seq - 1", []),  # moved back
        ("UPDATE safeguard_auditchainhead SET seq = 0, hash = %s", [GENESIS_HASH]),  # reset
        ("UPDATE safeguard_auditchainhead SET seq = seq + 2, hash = 'x'", []),  # skipped ahead
        ("UPDATE safeguard_auditchainhead SET seq = seq + 1", []),  # no new hash
        ("UPDATE safeguard_auditchainhead SET mac = 'x'", []),  # re-MAC'd in place
        ("DELETE FROM safeguard_auditchainhead", []),
        ("TRUNCATE safeguard_auditchainhead", []),
        ("INSERT INTO safeguard_auditchainhead (id, seq, hash, mac) VALUES (2, 9, 'x', '')", []),
    ],
)
def test_postgres_refuses_every_head_change_but_an_advance(postgres, alice, sql, params) -> None:
    write_events(alice, 3)
    before = head()
    with connection.cursor() as cursor:
        # Else TRUNCATE stops at the test's own pending FK checks, not at the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic():
        connection.cursor().execute(sql, params)
    after = head()
    assert (after.seq, after.hash, after.mac) == (before.seq, before.hash, before.mac)
    audit.record(action="test.after", actor=alice)  # the application still advances it
    assert head().seq == 4
    assert verify()[0] == 0


def test_postgres_names_the_refusal(postgres, alice) -> None:
    write_events(alice, 2)
    with (
        pytest.raises(DatabaseError, match="only advances one event at a time"),
        transaction.atomic(),
    ):
        connection.cursor().execute("UPDATE safeguard_auditchainhead SET seq = 1")


def test_a_second_head_row_is_refused(alice) -> None:
    write_events(alice, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditChainHead.objects.create(pk=2, seq=0, hash=GENESIS_HASH)
