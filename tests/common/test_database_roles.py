"""The append-only promise, held by PostgreSQL against the application's own role.

In production the application logs in as a role that is not a superuser and
owns no table (docs/operations.md). These tests create such a role, act as it
with SET ROLE, and prove that for every table the models declare append-only
the database refuses UPDATE, DELETE and TRUNCATE; that no session setting
opens the door (``safeguard.erasure`` once did, and pgtrigger's own
``pgtrigger.ignore`` switch would have); and that a decided retention review
still erases what it decided.
"""

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import psycopg2.errors
import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from accounts.models import Organisation, User
from allegations import services as allegation_services
from allegations.models import Allegation
from audit import services as audit
from common.models import APPEND_ONLY, refusing_triggers
from consent.models import ConsentRecord
from dashboard.models import BoardCommentary
from incidents import services as incident_services
from incidents.models import ChronologyEntry, Incident
from incidents.services import transfers as transfer_services
from policies import services as policy_services
from policies.agreements import child_agreement_record
from policies.models import AgreementWay
from practice import services as practice
from records import retention
from records.models import RetentionReview
from supervision import services as supervision_services
from supervision.models import SupervisionSession
from tests.common.test_append_only import (
    acknowledgement,
    approved_version,
    chronology_entry,
    consent_record,
)
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _incident(organisation: Organisation, dana: User) -> Incident:
    return incident_services.incident_raise(
        reporter=dana,
        children=[ChildFactory(organisation=organisation)],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked the child to move to a private app.",
        initial_risk="medium",
    )


def _platform_assessment(organisation: Organisation, dana: User) -> models.Model:
    platform = practice.platform_add(organisation=organisation, name="Video", kind="video", by=dana)
    return practice.platform_assess(
        platform=platform, by=dana, summary="Waiting rooms.", assessed_on=timezone.localdate()
    )


def _device_attestation(organisation: Organisation, dana: User) -> models.Model:
    device = practice.device_register(staff=dana, description="Work mobile", by=dana)
    return practice.device_attest(
        device=device, by=dana, password_protected=True, kept_from_others=True
    )


def _task_completion(organisation: Organisation, dana: User) -> models.Model:
    task = practice.tasks_ensure(organisation=organisation)[0]
    return practice.task_complete(
        task=task, by=dana, done_on=timezone.localdate(), evidence="Filters tested."
    )


def _child_agreement(organisation: Organisation, dana: User) -> models.Model:
    draft = policy_services.policy_create(
        organisation=organisation,
        by=dana,
        title="Our online promise",
        category="acceptable_use",
        body="I will tell a grown-up I trust if something online upsets me.",
        audience_children=True,
    )
    version = policy_services.version_approve(
        draft=draft, by=dana, approved_on=timezone.localdate(), approved_by_name="The board"
    )
    return child_agreement_record(
        version=version,
        child=ChildFactory(organisation=organisation),
        way=AgreementWay.IN_SESSION,
        child_name="Noor",
        witnessed_by=dana,
    )


def _supervision_session(organisation: Organisation, dana: User) -> SupervisionSession:
    return supervision_services.session_record(
        by=dana,
        supervisor=dana,
        supervisee=UserFactory(organisation=organisation),
        held_on=timezone.localdate(),
        notes="Workload and wellbeing.",
        discussions=[
            supervision_services.Discussion(
                child=ChildFactory(organisation=organisation), discussed="Settling in well."
            )
        ],
    )


def _consent_type_version(organisation: Organisation, dana: User) -> models.Model:
    return consent_record(organisation, dana).type_version


def _allegation(organisation: Organisation, dana: User) -> Allegation:
    return allegation_services.allegation_raise(
        raised_by=dana,
        kind="allegation",
        about=UserFactory(organisation=organisation),
        what_was_alleged="Seen messaging a child from a personal phone.",
    )


def _allegation_entry(organisation: Organisation, dana: User) -> models.Model:
    return allegation_services.allegation_entry_add(
        allegation=_allegation(organisation, dana),
        by=dana,
        kind="note",
        text="Spoke to the LADO.",
        happened_at=timezone.now(),
    )


def _sharing_decision(organisation: Organisation, dana: User) -> models.Model:
    return incident_services.sharing_decision_record(
        incident=_incident(organisation, dana),
        by=dana,
        decision="share",
        shared_with="Children's social care",
        what="The messages the child showed us.",
        lawful_basis="public_task",
        reason="The child is at risk of significant harm.",
        consent="not_sought",
        consent_note="Asking would warn the adult involved.",
        decided_at=timezone.now(),
    )


def _transfer_not_needed(organisation: Organisation, dana: User) -> models.Model:
    return transfer_services.transfer_not_needed_record(
        child=ChildFactory(organisation=organisation, discharged_on=timezone.localdate()),
        by=dana,
        reason="Moved abroad; the local authority holds the file.",
    )


def _received_file(organisation: Organisation, dana: User) -> models.Model:
    child = _incident(organisation, dana).children.get()
    started = transfer_services.transfer_start(
        child=child,
        by=dana,
        left_on=timezone.localdate(),
        recipient_name="Sam Senior",
        recipient_role="Designated Safeguarding Lead",
        recipient_setting="Oak Academy",
        recipient_email="dsl@oak.test",
        passphrase_route="phone",
    )
    with started.transfer.package.open("rb") as package:
        data = package.read()
    return transfer_services.received_file_import(by=dana, data=data, passphrase=started.passphrase)


# One way to make a sealed row of each model whose table refuses changes. A
# model that gains such a trigger and has no entry here fails
# test_every_protected_model_is_tried, so none is left out.
BUILDERS: dict[str, Callable[[Organisation, User], models.Model]] = {
    "allegations.Allegation": _allegation,
    "allegations.AllegationEntry": _allegation_entry,
    "audit.AuditEvent": lambda organisation, dana: audit.record(
        action="test.event", actor=dana, obj=dana
    ),
    "consent.ConsentRecord": consent_record,
    "consent.ConsentTypeVersion": _consent_type_version,
    "dashboard.BoardCommentary": lambda organisation, dana: BoardCommentary.objects.create(
        organisation=organisation,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 12, 31),
        text="Two concerns this quarter, both closed.",
        written_by=dana,
    ),
    "incidents.ChronologyEntry": chronology_entry,
    "incidents.Evidence": lambda organisation, dana: incident_services.evidence_add(
        incident=_incident(organisation, dana), by=dana, name="shot.png", data=PNG
    ),
    "incidents.Incident": _incident,
    "incidents.ReceivedFile": _received_file,
    "incidents.TransferNotNeeded": _transfer_not_needed,
    "incidents.SharingDecision": _sharing_decision,
    "policies.Acknowledgement": acknowledgement,
    "policies.ChildAgreement": _child_agreement,
    "policies.PolicyVersion": approved_version,
    "practice.DeviceAttestation": _device_attestation,
    "practice.PlatformAssessment": _platform_assessment,
    "practice.TaskCompletion": _task_completion,
    "supervision.SupervisionSession": _supervision_session,
    "supervision.ChildDiscussed": lambda organisation, dana: _supervision_session(
        organisation, dana
    ).children_discussed.get(),
}

# What an UPDATE rewrites: any UPDATE of an append-only row is refused; the
# incident refuses only a change to what its reporter submitted.
REWRITE = {
    "incidents.Incident": "what_happened = what_happened || ' (rewritten)'",
    "allegations.Allegation": "what_was_alleged = what_was_alleged || ' (rewritten)'",
}


def protected_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if refusing_triggers(model)]


def test_every_protected_model_is_tried() -> None:
    assert sorted(model._meta.label for model in protected_models()) == sorted(BUILDERS)


@pytest.fixture
def app_role(postgres: None) -> str:
    """A role set up as docs/operations.md sets up the application's: not a
    superuser, owner of nothing, with row privileges on every table of the
    schema (a blanket grant, as a hurried DBA would give). Created inside the
    test's transaction, so it goes when the test ends."""
    name = f"safeguard_app_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
        cursor.execute(f"CREATE ROLE {name} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {name}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {name}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}")
    return name


@contextlib.contextmanager
def acting_as(role: str) -> Iterator[None]:
    """Run the block's statements as ``role``. Refusals inside it must be
    caught in a savepoint (refusal()), so the transaction stays usable."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_setting('is_superuser')")
            assert cursor.fetchone() == (role, "off")
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


Step = str | tuple[str, list]


def run(steps: tuple[Step, ...]) -> None:
    """Run statements (each SQL, or SQL and its parameters) in a savepoint."""
    with transaction.atomic(), connection.cursor() as cursor:
        for step in steps:
            sql, params = (step, None) if isinstance(step, str) else step
            cursor.execute(sql, params)


def refusal(*steps: Step) -> DatabaseError:
    """PostgreSQL's refusal of the statements; the transaction stays usable."""
    with pytest.raises(DatabaseError) as refused:
        run(steps)
    return refused.value


def append_only_refusal(*steps: Step) -> str:
    refused = refusal(*steps)
    assert isinstance(refused.__cause__, psycopg2.errors.InsufficientPrivilege), refused
    message = str(refused)
    assert "append-only" in message or "kept as submitted" in message, message
    return message


def row_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a model's table)
        return cursor.fetchone()[0]


@pytest.fixture
def sealed_rows(organisation: Organisation, dana: User) -> dict[type[models.Model], models.Model]:
    return {
        model: BUILDERS[model._meta.label](organisation, dana)
        for model in protected_models()
        if model._meta.label in BUILDERS
    }


def test_the_app_role_cannot_update_delete_or_truncate_any_append_only_table(
    app_role: str, sealed_rows: dict[type[models.Model], models.Model]
) -> None:
    with acting_as(app_role):
        for model, obj in sealed_rows.items():
            table, label = model._meta.db_table, model._meta.label
            before = row_count(table)
            rewrite = REWRITE.get(label, "id = id")
            # Names come from the models, not from input.
            update = f"UPDATE {table} SET {rewrite} WHERE id = %s"  # noqa: S608
            assert "UPDATE refused" in append_only_refusal((update, [obj.pk])), label
            delete = f"DELETE FROM {table} WHERE id = %s"  # noqa: S608
            assert "DELETE refused" in append_only_refusal((delete, [obj.pk])), label
            # The row privileges a blanket grant gives do not include TRUNCATE.
            denied = refusal(f"TRUNCATE {table} CASCADE")
            assert isinstance(denied.__cause__, psycopg2.errors.InsufficientPrivilege), label
            assert row_count(table) == before, label
        assert set(sealed_rows) == set(protected_models())


def test_truncate_is_refused_even_to_a_role_granted_it(
    app_role: str, sealed_rows: dict[type[models.Model], models.Model]
) -> None:
    """TRUNCATE fires no row trigger; each table's statement trigger refuses it."""
    with connection.cursor() as cursor:
        # PostgreSQL refuses to truncate a table with foreign-key checks still
        # deferred in the transaction; run them now, as a fresh session would.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT quote_ident(current_schema())")
        cursor.execute(
            f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA {cursor.fetchone()[0]} TO {app_role}"
        )
    with acting_as(app_role):
        for model in sealed_rows:
            table = model._meta.db_table
            before = row_count(table)
            message = append_only_refusal(f"TRUNCATE {table} CASCADE")
            assert "TRUNCATE refused" in message, table
            assert row_count(table) == before, table


def test_no_session_setting_opens_the_door(app_role: str, organisation, dana) -> None:
    entry = chronology_entry(organisation, dana)
    update = "UPDATE incidents_chronologyentry SET text = 'rewritten' WHERE id = %s"
    settings = [
        # What records.retention used to set, and any session could.
        "SET LOCAL safeguard.erasure = 'on'",
        # pgtrigger's own switch, read by every trigger it installs by default.
        "SET LOCAL pgtrigger.ignore = "
        "'{pgtrigger_append_only_249c7,pgtrigger_append_only_truncate_a4b86}'",
    ]
    with acting_as(app_role):
        for setting in settings:
            append_only_refusal(setting, (update, [entry.pk]))
        # Switching triggers off needs a superuser or the table's owner.
        for trick in (
            "SET LOCAL session_replication_role = replica",
            "ALTER TABLE incidents_chronologyentry DISABLE TRIGGER USER",
            "DROP TRIGGER pgtrigger_append_only_249c7 ON incidents_chronologyentry",
            "CREATE OR REPLACE FUNCTION safeguard_erasing() RETURNS boolean "
            "LANGUAGE sql AS 'SELECT true'",
        ):
            denied = refusal(trick)
            assert isinstance(denied.__cause__, psycopg2.errors.InsufficientPrivilege), trick
        # A look-alike function earlier on the search path: the trigger named
        # the real one when it was created.
        append_only_refusal(
            "CREATE FUNCTION pg_temp.safeguard_erasing() RETURNS boolean "
            "LANGUAGE sql AS 'SELECT true'",
            "SET LOCAL search_path = pg_temp, public",
            (update, [entry.pk]),
        )
    assert ChronologyEntry.objects.get(pk=entry.pk).text == "Spoke to Noor."


def test_the_openings_cannot_be_forged(app_role: str, organisation, dana) -> None:
    """The door opens only through its function, for a review decided and not
    carried out, once; its table is out of the application's reach."""
    entry = chronology_entry(organisation, dana)
    update = "UPDATE incidents_chronologyentry SET text = 'rewritten' WHERE id = %s"
    review = RetentionReview.objects.create(
        organisation=organisation,
        kind="incidents",
        object_type="incidents.incident",
        object_id=str(entry.incident_id),
        description="An incident",
        due_on=timezone.localdate(),
    )
    with acting_as(app_role):
        forged = refusal(
            (
                "INSERT INTO safeguard_erasure.opening (review_id, xact) "
                "VALUES (%s, pg_current_xact_id())",
                [review.pk],
            )
        )
        assert isinstance(forged.__cause__, psycopg2.errors.InsufficientPrivilege)
        for review_id in (review.pk, review.pk + 1000):  # undecided, and none at all
            shut = refusal(("SELECT safeguard_erasure_open(%s)", [review_id]), (update, [entry.pk]))
            assert "erasure door stays shut" in str(shut)
        # Carried out already: a done review cannot open it again.
        RetentionReview.objects.filter(pk=review.pk).update(
            decision="delete",
            decided_by=dana,
            decided_at=timezone.now(),
            confirmed_by=dana,
            done_at=timezone.now(),
        )
        shut = refusal(("SELECT safeguard_erasure_open(%s)", [review.pk]), (update, [entry.pk]))
        assert "erasure door stays shut" in str(shut)
    assert ChronologyEntry.objects.get(pk=entry.pk).text == "Spoke to Noor."


def test_a_decided_review_erases_as_the_app_role_once(
    app_role: str, organisation, dana, bob
) -> None:
    """The retention services, run as the application's role, still anonymise
    and delete what a person decided; the door shuts behind each decision."""
    record = consent_record(organisation, dana)
    other = consent_record(organisation, dana)
    reviews = [
        RetentionReview.objects.create(
            organisation=organisation,
            kind="consent_records",
            object_type="consent.consentrecord",
            object_id=str(obj.pk),
            description="A consent record",
            due_on=timezone.localdate(),
        )
        for obj in (record, other)
    ]
    with acting_as(app_role):
        retention.review_anonymise(review=reviews[0], by=bob, reason="Three years on.")
        retention.review_delete(review=reviews[1], by=bob, reason="Three years on.")
        # Behind the decisions, in the same transaction, the door is shut.
        append_only_refusal(
            ("UPDATE consent_consentrecord SET notes = 'after' WHERE id = %s", [record.pk])
        )
        # Each review opened it once; reopening a carried-out review is refused.
        for review in reviews:
            shut = refusal(("SELECT safeguard_erasure_open(%s)", [review.pk]))
            assert "erasure door stays shut" in str(shut)
    record.refresh_from_db()
    assert (record.typed_name, record.notes) == ("[anonymised]", "")
    assert not ConsentRecord.objects.filter(pk=other.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT review_id, opened_by, closed FROM safeguard_erasure.opening "
            "WHERE review_id = ANY(%s) ORDER BY review_id",
            [[review.pk for review in reviews]],
        )
        # Each opening stays on record, with the login that asked.
        assert cursor.fetchall() == [
            (review.pk, connection.settings_dict["USER"], True) for review in reviews
        ]


def test_the_audit_log_has_no_door_at_all(app_role: str, organisation, dana, bob) -> None:
    """Not even an open door changes the audit log: its chain spans every organisation."""
    event = audit.record(action="test.event", actor=dana, obj=dana)
    record = consent_record(organisation, dana)
    review = RetentionReview.objects.create(
        organisation=organisation,
        kind="consent_records",
        object_type="consent.consentrecord",
        object_id=str(record.pk),
        description="A consent record",
        due_on=timezone.localdate(),
        decision="anonymise",
        decided_by=bob,
        decided_at=timezone.now(),
        confirmed_by=bob,
    )
    with acting_as(app_role):
        append_only_refusal(
            ("SELECT safeguard_erasure_open(%s)", [review.pk]),
            ("DELETE FROM safeguard_auditevent WHERE id = %s", [event.pk]),
        )
    assert APPEND_ONLY in refusing_triggers(type(event))


def test_a_decision_opens_only_its_own_organisations_records(
    app_role: str, organisation, other_organisation, dana, charlie, bob
) -> None:
    """Where a row names its organisation, another organisation's decision
    leaves it shut: no erasure crosses organisations."""
    ours = consent_record(organisation, dana)
    theirs = consent_record(other_organisation, charlie)
    review = RetentionReview.objects.create(
        organisation=organisation,
        kind="consent_records",
        object_type="consent.consentrecord",
        object_id=str(ours.pk),
        description="A consent record",
        due_on=timezone.localdate(),
        decision="anonymise",
        decided_by=bob,
        decided_at=timezone.now(),
        confirmed_by=bob,
    )
    open_door = ("SELECT safeguard_erasure_open(%s)", [review.pk])
    blank = "UPDATE consent_consentrecord SET notes = '' WHERE id = %s"
    with acting_as(app_role):
        append_only_refusal(open_door, (blank, [theirs.pk]))
        run((open_door, (blank, [ours.pk])))
    assert ConsentRecord.objects.get(pk=theirs.pk).notes == "Signed at the first session"
    assert ConsentRecord.objects.get(pk=ours.pk).notes == ""
