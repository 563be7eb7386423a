"""With a read replica configured, the dashboard, its tables, CSVs and the board
report run their queries on the replica's connection, their audit events are
written on the primary's, and every other page reads from the primary.

The replica is a second, read-only connection to the test database: the alias
DATABASE_REPLICA_URL configures (TEST MIRROR "default"), or when it is not set
one made the same way here, on PostgreSQL (so CI, with REQUIRE_SERVICES=1, always
runs this). That connection cannot see a test's uncommitted transaction, and the
router keeps reads on the primary while the primary has one open, so this test
commits (transaction=True): the names the pages show came through the replica.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditChainHead, AuditEvent
from audit.services import verify_chain
from children.models import Child
from common.db_router import REPLICA
from practice.models import ContactLog
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CONTACTS = ContactLog._meta.db_table
AUDIT_TABLES = (AuditEvent._meta.db_table, AuditChainHead._meta.db_table)


@pytest.fixture
def replica(postgres: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The replica's alias: DATABASE_REPLICA_URL's when set (Django points the mirror
    at the test database), otherwise one made here the same way."""
    if REPLICA in settings.DATABASES:
        yield
        return
    primary = connections["default"].settings_dict
    alias = {
        **primary,
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {**primary["OPTIONS"], "options": "-c default_transaction_read_only=on"},
        "TEST": {**primary["TEST"], "MIRROR": "default"},
    }
    monkeypatch.setitem(settings.DATABASES, REPLICA, alias)
    monkeypatch.setitem(connections.settings, REPLICA, alias)
    # Connected here: the test's databases were fixed before this alias existed,
    # and Django refuses to open a connection for one outside them.
    connections[REPLICA].connect()
    yield
    connections[REPLICA].close()
    del connections[REPLICA]


@pytest.fixture
def breach(organisation, alice, dana):
    noor = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    return ContactLog.objects.create(
        organisation=organisation,
        child=noor,
        staff=alice,
        channel="video",
        happened_at=timezone.now() - dt.timedelta(days=2),
        consent_allowed=True,
        consent_reason="Consent in place.",
        breaches=[{"code": "no_second_staff", "message": "No second member of staff."}],
    )


@dataclass
class Served:
    """A page, and the SQL each connection ran while it was served."""

    response: HttpResponse
    primary: list[str]
    replica: list[str]


def get(client: Client, url: str) -> Served:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = client.get(url)
    return Served(
        response,
        [query["sql"] for query in primary.captured_queries],
        [query["sql"] for query in replica.captured_queries],
    )


def touching(sqls: list[str], table: str) -> list[str]:
    return [sql for sql in sqls if f'"{table}"' in sql]


def test_the_dashboard_reads_from_the_replica_and_audits_on_the_primary(
    replica, organisation, dana, breach, client_for, monkeypatch
):
    lead = client_for(dana)
    pages = {
        "/dashboard/": "contact broke a practice rule",
        "/dashboard/tables/practice-breaches/": "Noor Hassan",
        "/dashboard/tables/practice-breaches.csv": "Noor Hassan",
        "/dashboard/board-report.pdf": None,
    }
    for url, shown in pages.items():
        # Each page computes its figures: none is served from the last one's.
        cache.clear()
        served = get(lead, url)
        assert served.response.status_code == 200, url
        # The kept figures' stamp is read where the figures are.
        assert touching(served.replica, "dashboard_figuresstamp"), url
        assert not touching(served.primary, "dashboard_figuresstamp"), url
        if shown is not None:
            assert shown in served.response.content.decode(), url
        assert touching(served.replica, CONTACTS), url
        assert not touching(served.primary, CONTACTS), url
        # The consent figures are raw SQL, which the router does not see by itself.
        assert any("WITH latest AS" in sql for sql in served.replica), url
        assert not any("consent_consentrecord" in sql for sql in served.primary), url
        # Nothing is written on the replica, and the audit chain is never read there.
        assert all(sql.lstrip().upper().startswith(("SELECT", "WITH")) for sql in served.replica), (
            url
        )
        assert not any(
            verb in sql.upper()
            for sql in served.replica
            for verb in ("INSERT ", "UPDATE ", "DELETE ")
        ), url
        for table in AUDIT_TABLES:
            assert not touching(served.replica, table), url

    # The table, the CSV and the report were audited, chained on the primary.
    actions = list(
        AuditEvent.objects.filter(actor=dana, action__startswith="dashboard.")
        .order_by("seq")
        .values_list("action", "details__csv")
    )
    assert actions == [
        ("dashboard.cases_viewed", False),
        ("dashboard.cases_viewed", True),
        ("dashboard.board_report", None),
    ]
    assert verify_chain().intact

    # Any other page reads from the primary only.
    served = get(lead, "/")
    assert served.response.status_code == 200
    assert touching(served.primary, Child._meta.db_table)
    assert served.replica == []

    # With the replica taken out of the settings, the same CSV reads from the primary.
    monkeypatch.delitem(settings.DATABASES, REPLICA)
    cache.clear()
    served = get(lead, "/dashboard/tables/practice-breaches.csv")
    assert "Noor Hassan" in served.response.content.decode()
    assert touching(served.primary, CONTACTS)
    assert served.replica == []
