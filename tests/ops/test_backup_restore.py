"""Backup and restore, done the way docs/operations.md tells an operator to.

PostgreSQL: real data made through the services, ``manage.py backup`` (pg_dump),
a fresh database, ``manage.py restore`` (pg_restore); the copy must hold every row,
a chain that ``verify_audit`` proves with the portal's key, the append-only
triggers, and every uploaded file it refers to. SQLite: a standalone database
built by migrate and seed_demo, copied with the online backup API, checked the same way.
"""

import datetime as dt
import hashlib
import os
import secrets
import sqlite3
import subprocess
import sys
from contextlib import closing
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit import context as audit_context
from audit.models import AuditEvent
from children import services as caseload
from consent import records as consent_records
from consent import services as consent
from consent.models import ConsentRecord, ConsentType
from incidents import services as incidents
from incidents.models import ChronologyEntry, Evidence
from tests.hostile_files import plain_pdf

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = plain_pdf(("A scanned paper consent form",))

# Each writes its own rows, so a copy without them cannot pass for complete.
MUST_HAVE_ROWS = [
    "safeguard_organisation",
    "safeguard_user",
    "safeguard_child",
    "safeguard_guardian",
    "safeguard_auditevent",
    "safeguard_auditchainhead",
    "consent_consentrecord",
    "consent_consentrequest",
    "incidents_incident",
    "incidents_chronologyentry",
    "incidents_evidence",
]
# pgtrigger names each trigger pgtrigger_<name>_<hash of app.Model:name>.
APPEND_ONLY_TRIGGERS = {
    ("safeguard_auditevent", "pgtrigger_append_only_00dfa"),
    ("consent_consentrecord", "pgtrigger_append_only_4a42e"),
    ("consent_consenttypeversion", "pgtrigger_append_only_365c8"),
    ("incidents_chronologyentry", "pgtrigger_append_only_249c7"),
    ("incidents_evidence", "pgtrigger_append_only_937ae"),
    ("incidents_incident", "pgtrigger_kept_as_submitted_17968"),
    ("policies_acknowledgement", "pgtrigger_append_only_78566"),
    ("policies_policyversion", "pgtrigger_append_only_a7bba"),
    ("practice_deviceattestation", "pgtrigger_append_only_45283"),
    ("practice_platformassessment", "pgtrigger_append_only_3fa95"),
    ("practice_taskcompletion", "pgtrigger_append_only_5fcbe"),
    ("incidents_incident", "pgtrigger_kept_as_submitted_delete_ceb36"),
    # TRUNCATE fires no row trigger: each table has a statement trigger too.
    ("safeguard_auditevent", "pgtrigger_append_only_truncate_bfdc5"),
    ("consent_consentrecord", "pgtrigger_append_only_truncate_59fa8"),
    ("consent_consenttypeversion", "pgtrigger_append_only_truncate_0023c"),
    ("incidents_chronologyentry", "pgtrigger_append_only_truncate_a4b86"),
    ("incidents_evidence", "pgtrigger_append_only_truncate_f7941"),
    ("incidents_incident", "pgtrigger_append_only_truncate_5f7f8"),
    ("policies_acknowledgement", "pgtrigger_append_only_truncate_62910"),
    ("policies_policyversion", "pgtrigger_append_only_truncate_b12b0"),
    ("practice_deviceattestation", "pgtrigger_append_only_truncate_b5f05"),
    ("practice_platformassessment", "pgtrigger_append_only_truncate_4b1fd"),
    ("practice_taskcompletion", "pgtrigger_append_only_truncate_402a9"),
}

pytestmark = pytest.mark.slow


def manage(
    *args: str, database_url: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess:
    """manage.py in a process of its own, as an operator runs it, with the keys
    the test process signs the audit chain with."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": settings.SECRET_KEY,
        "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY,
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# --- PostgreSQL ---------------------------------------------------------------------------


def build_records(organisation, dana, alice) -> None:
    """A child with two parents, consent given three ways, and a concern with evidence."""
    child = caseload.child_create(
        organisation=organisation,
        by=dana,
        first_name="Noor",
        last_name="Hassan",
        date_of_birth=dt.date(2015, 4, 2),
    )
    for name, email in (("Huda Hassan", "huda@example.test"), ("Sami Hassan", "sami@example.test")):
        caseload.guardian_add(
            child=child,
            by=dana,
            full_name=name,
            email=email,
            phone="",
            preferred_contact="email",
            relationship="parent",
            parental_responsibility=True,
        )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    consent.consent_types_ensure(organisation=organisation)
    huda, sami = (link.guardian for link in child.guardian_links.order_by("guardian__email"))
    types = {t.code: t for t in ConsentType.objects.filter(organisation=organisation)}

    # Online: a request emailed to Huda, answered on the signing page.
    (request,) = consent.consent_request_send(
        child=child,
        guardians=[huda],
        consent_types=[types["online_sessions"], types["recording"]],
        by=alice,
    )
    # Sending the email makes the link (outbox): the request now holds its hash.
    request.refresh_from_db()
    answers = {version.pk: "granted" for version in request.items.all()}
    answers[request.items.get(consent_type=types["recording"]).pk] = "refused"
    # Signed from the parent's browser, so the evidence carries an address to restore.
    with audit_context.bound(audit_context.RequestContext(ip_address="203.0.113.7")):
        consent.consent_sign(
            token_digest=request.token_sha256,
            answers=answers,
            typed_name="Huda Hassan",
            relationship="mother",
            signature_png="",
        )
    # On paper (a scan kept in MEDIA_ROOT), and by telephone.
    consent_records.paper_consent_record(
        child=child,
        guardian=sami,
        consent_types=[types["messaging"]],
        signed_on=timezone.localdate(),
        signed_by="Sami Hassan",
        scan_name="form.pdf",
        scan=PDF,
        by=alice,
    )
    consent_records.verbal_consent_record(
        child=child, guardian=sami, consent_type=types["online_sessions"], by=alice
    )

    incident = incidents.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        platform="A game's chat",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
        evidence=("screenshot.png", PNG),
    )
    incidents.chronology_add(
        incident=incident,
        by=dana,
        kind="parent_contact",
        text="Spoke to Huda by phone.",
        happened_at=timezone.now(),
    )


def postgres_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{name}"


def postgres_connect(settings_dict: dict, name: str):
    return psycopg2.connect(
        dbname=name,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
    )


def table_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


def database_facts(cursor) -> dict[str, object]:
    """Everything a restore must bring back besides the rows."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    )
    tables = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
    sequences = cursor.fetchall()
    cursor.execute(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
        "WHERE NOT tgisinternal ORDER BY 1, 2"
    )
    triggers = set(cursor.fetchall())
    return {
        "counts": table_counts(cursor, tables),
        "sequences": sequences,
        "triggers": triggers,
    }


def refused(db, statement: str) -> str:
    """Run ``statement`` in its own transaction on ``db``; return PostgreSQL's refusal."""
    with db.cursor() as cursor:
        try:
            cursor.execute(statement)
        except psycopg2.Error as error:
            db.rollback()
            return str(error)
    db.rollback()
    return ""


@pytest.mark.django_db(transaction=True)
def test_postgres_backup_restores_into_a_fresh_database(
    postgres, organisation, dana, alice, tmp_path, monkeypatch
) -> None:
    build_records(organisation, dana, alice)
    events = AuditEvent.objects.count()
    source = connection.settings_dict
    dump, media_copy = tmp_path / "safeguard.dump", tmp_path / "media-backup"

    out = StringIO()
    call_command("backup", str(dump), "--media", str(media_copy), stdout=out)
    assert f"Backed up the PostgreSQL database {source['NAME']}" in out.getvalue()
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert "(2 files)" in out.getvalue()  # the evidence screenshot and the paper form
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(dump))

    restored = f"{source['NAME']}_restore_{secrets.token_hex(4)}"
    admin = postgres_connect(source, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{restored}"')
        restored_url = postgres_url(source, restored)

        # Never into the database the portal runs on, however its host is spelt.
        live_url = postgres_url({**source, "HOST": "localhost"}, source["NAME"])
        with pytest.raises(CommandError, match="live database"):
            call_command("restore", str(dump), "--database-url", live_url)

        out = StringIO()
        call_command("restore", str(dump), "--database-url", restored_url, stdout=out)
        assert f"Restored {dump} into the PostgreSQL database {restored}" in out.getvalue()

        with connection.cursor() as cursor:
            before = database_facts(cursor)
        with closing(postgres_connect(source, restored)) as copy:
            with copy.cursor() as cursor:
                after = database_facts(cursor)
                cursor.execute("SELECT file, sha256 FROM incidents_evidence")
                evidence = cursor.fetchall()
                cursor.execute("SELECT evidence_file FROM consent_consentrecord")
                paper = [row[0] for row in cursor.fetchall() if row[0]]
            copy.rollback()

            # Every table, every row, every sequence where it was.
            assert after["counts"] == before["counts"]
            assert after["sequences"] == before["sequences"]
            for table in MUST_HAVE_ROWS:
                assert after["counts"][table] > 0, table
            assert after["counts"]["safeguard_auditevent"] == events
            assert after["counts"]["consent_consentrecord"] == ConsentRecord.objects.count() == 4
            assert after["counts"]["incidents_chronologyentry"] == ChronologyEntry.objects.count()

            # The append-only rules came back with the data, and still hold.
            assert after["triggers"] == before["triggers"]
            assert before["triggers"] >= APPEND_ONLY_TRIGGERS
            assert "append-only" in refused(copy, "DELETE FROM safeguard_auditevent")
            assert "append-only" in refused(copy, "UPDATE safeguard_auditevent SET action = 'x'")
            assert "append-only" in refused(copy, "DELETE FROM incidents_chronologyentry")
            assert "append-only" in refused(copy, "DELETE FROM incidents_evidence")
            assert "append-only" in refused(copy, "DELETE FROM consent_consentrecord")
            assert "append-only" in refused(copy, "UPDATE consent_consentrecord SET notes = 'x'")
            assert "append-only" in refused(copy, "DELETE FROM consent_consenttypeversion")
            assert "kept as submitted" in refused(
                copy, "UPDATE incidents_incident SET what_happened = 'rewritten'"
            )

        # Every uploaded file the copy refers to is in the media copy, unchanged.
        assert len(evidence) == Evidence.objects.count() == 1
        for name, sha256 in evidence:
            assert hashlib.sha256((media_copy / name).read_bytes()).hexdigest() == sha256
        assert len(paper) == 1
        assert (media_copy / paper[0]).read_bytes() == PDF

        # verify_audit, run as an operator would against the copy, with the portal's key.
        check = manage("verify_audit", database_url=restored_url, tmp_path=tmp_path)
        assert check.returncode == 0, check.stderr
        assert f"Audit chain intact: {events} events verified." in check.stdout
        # Without the key the chain cannot be proved: the key is part of the backup.
        check = manage(
            "verify_audit",
            database_url=restored_url,
            tmp_path=tmp_path,
            AUDIT_CHAIN_KEY="not the key the chain was written with",
        )
        assert check.returncode == 1
        assert "Audit chain broken at event #1" in check.stderr
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        admin.close()

    # Without the client tools the commands say so, rather than half-working.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(CommandError, match="pg_dump was not found"):
        call_command("backup", str(tmp_path / "again.dump"))
    assert not (tmp_path / "again.dump").exists()


# --- SQLite -------------------------------------------------------------------------------


def sqlite_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }


def test_sqlite_online_backup_restores_every_row_and_the_chain(tmp_path) -> None:
    live = tmp_path / "live.sqlite3"
    live_url = f"sqlite:///{live}"
    for step in (("migrate", "--noinput"), ("seed_demo",)):
        result = manage(*step, database_url=live_url, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr

    backup = tmp_path / "backup.sqlite3"
    result = manage("backup", str(backup), database_url=live_url, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "with the SQLite online backup API" in result.stdout
    assert not backup.with_name("backup.sqlite3.partial").exists()

    # The live file is refused as a target, by the process that runs on it.
    result = manage(
        "restore",
        str(backup),
        "--database-url",
        live_url,
        database_url=live_url,
        tmp_path=tmp_path,
    )
    assert result.returncode == 1
    assert "live database" in result.stderr

    restored = tmp_path / "restored.sqlite3"
    restored_url = f"sqlite:///{restored}"
    call_command("restore", str(backup), "--database-url", restored_url, stdout=StringIO())
    with pytest.raises(CommandError, match="an SQLite backup"):
        call_command("restore", str(backup), "--database-url", "postgres://x@127.0.0.1/elsewhere")

    counts = sqlite_counts(live)
    assert sqlite_counts(restored) == counts
    assert counts["safeguard_auditevent"] > 0
    assert counts["safeguard_child"] > 0
    assert counts["consent_consentrecord"] > 0

    check = manage("verify_audit", database_url=restored_url, tmp_path=tmp_path)
    assert check.returncode == 0, check.stderr
    assert f"Audit chain intact: {counts['safeguard_auditevent']} events verified." in check.stdout
