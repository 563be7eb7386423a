"""The database router's choice, without a database: which alias a read or a
write goes to, for reporting work and for everything else. The dashboard's own
tests (tests/dashboard/test_replica_reads.py) prove which connection ran them."""

import pytest
from django.conf import settings
from django.db import connections

from children.models import Child
from common.db_router import REPLICA, ReplicaRouter, reads_from_replica

router = ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.DATABASES, REPLICA, {**settings.DATABASES["default"]})


@pytest.fixture
def without_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(settings.DATABASES, REPLICA, raising=False)


def test_without_a_replica_reporting_reads_from_the_primary(without_replica: None) -> None:
    with reads_from_replica():
        assert router.db_for_read(Child) == "default"
        assert Child.objects.all().db == "default"


def test_only_reporting_reads_from_the_replica(with_replica: None) -> None:
    assert router.db_for_read(Child) == "default"
    with reads_from_replica():
        assert router.db_for_read(Child) == REPLICA
        assert Child.objects.all().db == REPLICA
    assert router.db_for_read(Child) == "default"


def test_writes_go_to_the_primary_and_later_reads_follow_them(with_replica: None) -> None:
    with reads_from_replica():
        assert router.db_for_read(Child) == REPLICA
        assert router.db_for_write(Child) == "default"
        # The replica may not have the write yet: the rest of this work reads it back
        # from the primary, nested reporting included.
        assert router.db_for_read(Child) == "default"
        with reads_from_replica():
            assert router.db_for_read(Child) == "default"
    with reads_from_replica():
        assert router.db_for_read(Child) == REPLICA  # the next request starts afresh


def test_reads_in_the_primarys_open_transaction_stay_on_it(
    with_replica: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary = connections["default"]
    with reads_from_replica():
        monkeypatch.setattr(primary, "in_atomic_block", True)
        assert router.db_for_read(Child) == "default"
        # As a transaction commits (where the audit chain reads its head) Django has
        # already left the atomic block, but autocommit is still off.
        monkeypatch.setattr(primary, "in_atomic_block", False)
        monkeypatch.setattr(primary, "connection", object())
        monkeypatch.setattr(primary, "autocommit", False)
        assert router.db_for_read(Child) == "default"
        monkeypatch.setattr(primary, "autocommit", True)
        assert router.db_for_read(Child) == REPLICA


def test_migrations_only_on_the_primary_and_relations_across_both() -> None:
    assert router.allow_migrate("default", "children") is True
    assert router.allow_migrate(REPLICA, "children") is False
    assert router.allow_relation(Child(), Child()) is True
