"""Append-only records: one base class refuses changes in Python on any
database, and on PostgreSQL a trigger beside each model refuses them at the
database, whatever code or person tries. A decided retention review is the one
door through both."""

import datetime as dt

import psycopg2
import psycopg2.errors
import pytest
from django.apps import apps
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from children import services as caseload
from common.models import APPEND_ONLY, AppendOnly, AppendOnlyError
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentType
from incidents import services as incident_services
from incidents.models import ChronologyEntry
from policies import services as policy_services
from policies.models import Acknowledgement, PolicyVersion
from records import retention
from records.models import RetentionReview
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

# Every record that must never change, and nothing else, is append-only.
APPEND_ONLY_MODELS = {
    "allegations.AllegationEntry",
    "audit.AuditEvent",
    "consent.ConsentRecord",
    "consent.ConsentTypeVersion",
    "dashboard.BoardCommentary",
    "incidents.ChronologyEntry",
    "incidents.Evidence",
    "incidents.ReceivedFile",
    "incidents.SharingDecision",
    "incidents.TransferNotNeeded",
    "policies.Acknowledgement",
    "policies.ChildAgreement",
    "policies.PolicyVersion",
    "practice.DeviceAttestation",
    "practice.PlatformAssessment",
    "practice.TaskCompletion",
    "supervision.ChildDiscussed",
    "supervision.SupervisionSession",
}


def consent_record(organisation, dana) -> ConsentRecord:
    child = ChildFactory(organisation=organisation, first_name="Noor")
    link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    consent_services.consent_types_ensure(organisation=organisation)
    consent_type = ConsentType.objects.get(organisation=organisation, code="online_sessions")
    return ConsentRecord.objects.create(
        organisation=organisation,
        child=child,
        consent_type=consent_type,
        type_version=consent_type.current_version(),
        guardian=link.guardian,
        decision="granted",
        method="paper",
        typed_name="Huda Hassan",
        shown_sha256="0" * 64,
        notes="Signed at the first session",
    )


def chronology_entry(organisation, dana) -> ChronologyEntry:
    child = ChildFactory(organisation=organisation, first_name="Noor")
    incident = incident_services.incident_raise(
        reporter=dana,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )
    return incident_services.chronology_add(
        incident=incident, by=dana, kind="note", text="Spoke to Noor.", happened_at=timezone.now()
    )


def approved_version(organisation, dana) -> PolicyVersion:
    draft = policy_services.policy_create(
        organisation=organisation,
        by=dana,
        title="Online Safety Policy",
        category="online_safety",
        body="Version one.",
    )
    return policy_services.version_approve(
        draft=draft, by=dana, approved_on=timezone.localdate(), approved_by_name="Board"
    )


def acknowledgement(organisation, dana) -> Acknowledgement:
    return policy_services.acknowledge(version=approved_version(organisation, dana), user=dana)


# (what makes one, a column to rewrite, its table)
RECORDS = {
    "consent record": (consent_record, "notes", "consent_consentrecord"),
    "chronology entry": (chronology_entry, "text", "incidents_chronologyentry"),
    "acknowledgement": (acknowledgement, "acknowledged_at", "policies_acknowledgement"),
}


@pytest.fixture(params=list(RECORDS))
def record(request, organisation, dana) -> tuple[AppendOnly, str, str]:
    make, column, table = RECORDS[request.param]
    return make(organisation, dana), column, table


def stored(obj: AppendOnly, column: str) -> object:
    return type(obj)._base_manager.values_list(column, flat=True).get(pk=obj.pk)


def new_value(obj: AppendOnly, column: str) -> object:
    current = getattr(obj, column)
    return current - dt.timedelta(days=1) if isinstance(current, dt.datetime) else "rewritten"


def database_refusal(sql: str, params: list) -> ProgrammingError:
    """Run one statement in a savepoint and return PostgreSQL's refusal of it."""
    with (
        pytest.raises(ProgrammingError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return refused.value


def test_append_only_models_are_the_records_that_never_change() -> None:
    found = {model._meta.label for model in apps.get_models() if issubclass(model, AppendOnly)}
    assert found == APPEND_ONLY_MODELS


@pytest.mark.parametrize("label", sorted(APPEND_ONLY_MODELS))
def test_each_declares_its_database_trigger(label: str) -> None:
    model = apps.get_model(label)
    assert [t.name for t in model._meta.triggers if t.name == APPEND_ONLY] == [APPEND_ONLY]


def test_python_refuses_every_way_of_changing_a_record(record) -> None:
    obj, column, _ = record
    before = stored(obj, column)
    rows = type(obj).objects.filter(pk=obj.pk)
    with pytest.raises(AppendOnlyError, match="never changed"):
        rows.update(**{column: new_value(obj, column)})
    with pytest.raises(AppendOnlyError, match="never deleted"):
        rows.delete()
    setattr(obj, column, new_value(obj, column))
    with pytest.raises(AppendOnlyError, match="never changed"):
        obj.save()
    with pytest.raises(AppendOnlyError, match="never deleted"):
        obj.delete()
    assert stored(obj, column) == before


def test_the_database_refuses_a_raw_update_and_delete(postgres, record) -> None:
    obj, column, table = record
    before = stored(obj, column)
    # Table and column names come from RECORDS, not from input.
    update = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608
    delete = f"DELETE FROM {table} WHERE id = %s"  # noqa: S608
    for sql, params in ((update, [new_value(obj, column), obj.pk]), (delete, [obj.pk])):
        refusal = database_refusal(sql, params)
        assert "append-only" in str(refusal)
        assert isinstance(refusal.__cause__, psycopg2.errors.InsufficientPrivilege)
    assert stored(obj, column) == before


def decided_review(obj: AppendOnly, dana, decision: str = "anonymise") -> RetentionReview:
    """A review of ``obj`` as a person decided it, not yet carried out (one
    review per decision: each is due on its own day)."""
    return RetentionReview.objects.create(
        organisation=dana.organisation,
        kind="consent_record",
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        description="A consent record",
        due_on=timezone.localdate() + dt.timedelta(days=RetentionReview.objects.count()),
        decision=decision,
        reason="Three years after discharge.",
        decided_by=dana,
        decided_at=timezone.now(),
        confirmed_by=dana,
    )


def test_a_retention_decision_is_the_one_door_and_it_closes_behind_it(organisation, dana) -> None:
    obj = consent_record(organisation, dana)
    rows = ConsentRecord.objects.filter(pk=obj.pk)
    with retention._erasure(decided_review(obj, dana)):
        rows.update(notes="")
    assert stored(obj, "notes") == ""
    with pytest.raises(AppendOnlyError):
        rows.update(notes="after the decision")
    if connection.vendor == "postgresql":
        refusal = database_refusal(
            "UPDATE consent_consentrecord SET notes = 'after' WHERE id = %s", [obj.pk]
        )
        assert "append-only" in str(refusal)
    with retention._erasure(decided_review(obj, dana, decision="delete")):
        rows.delete()
    assert not ConsentRecord.objects.filter(pk=obj.pk).exists()


def test_a_draft_policy_version_changes_and_an_approved_one_never(organisation, dana) -> None:
    approved = approved_version(organisation, dana)
    draft = policy_services.draft_start(policy=approved.policy, by=dana)
    draft.body = "Version two, being written."
    draft.save()
    PolicyVersion.objects.filter(pk=draft.pk).update(change_summary="Clearer on photos.")
    assert PolicyVersion.objects.get(pk=draft.pk).change_summary == "Clearer on photos."
    approved.body = "Rewritten."
    with pytest.raises(AppendOnlyError, match="Approved policy versions are never changed"):
        approved.save()
    with pytest.raises(AppendOnlyError):
        approved.delete()
    # A queryset that reaches an approved version is refused as a whole.
    with pytest.raises(AppendOnlyError):
        PolicyVersion.objects.filter(policy=approved.policy).update(change_summary="x")
    with pytest.raises(AppendOnlyError):
        PolicyVersion.objects.filter(policy=approved.policy).delete()
    assert PolicyVersion.objects.get(pk=approved.pk).body == "Version one."
    # A draft may go; an approved version stays.
    draft.delete()
    assert list(PolicyVersion.objects.filter(policy=approved.policy)) == [approved]


def test_the_database_lets_a_draft_change_and_refuses_an_approved_version(
    postgres, organisation, dana
) -> None:
    approved = approved_version(organisation, dana)
    draft = policy_services.draft_start(policy=approved.policy, by=dana)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE policies_policyversion SET body = 'v2' WHERE id = %s", [draft.pk])
    assert PolicyVersion.objects.get(pk=draft.pk).body == "v2"
    for sql in (
        "UPDATE policies_policyversion SET body = 'rewritten' WHERE id = %s",
        "DELETE FROM policies_policyversion WHERE id = %s",
    ):
        assert "append-only" in str(database_refusal(sql, [approved.pk]))
    assert PolicyVersion.objects.get(pk=approved.pk).body == "Version one."


@pytest.mark.django_db(transaction=True)
def test_a_session_that_never_set_the_erasure_setting_is_refused(
    postgres, organisation, dana
) -> None:
    """An unset setting reads as NULL; the trigger must still refuse."""
    obj = consent_record(organisation, dana)
    settings = connection.settings_dict
    fresh = psycopg2.connect(
        dbname=settings["NAME"],
        host=settings.get("HOST") or None,
        port=settings.get("PORT") or None,
        user=settings.get("USER") or None,
        password=settings.get("PASSWORD") or None,
    )
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT current_setting('safeguard.erasure', true) IS NULL")
            assert cursor.fetchone() == (True,)
            with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
                cursor.execute("DELETE FROM consent_consentrecord WHERE id = %s", [obj.pk])
        fresh.rollback()
    finally:
        fresh.close()
    assert ConsentRecord.objects.filter(pk=obj.pk).exists()


def test_not_even_a_retention_decision_changes_the_audit_log(postgres, dana) -> None:
    """The audit log is append-only with no door: its chain spans every organisation."""
    from audit import services as audit
    from audit.models import AuditEvent
    from common import erasure

    event = audit.record(action="test.event", actor=dana, obj=dana)
    opened = erasure.allow()
    try:
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=event.pk).delete()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL safeguard.erasure = 'on'")
            refused = database_refusal("DELETE FROM safeguard_auditevent WHERE id = %s", [event.pk])
    finally:
        erasure.close(opened)
    assert "append-only" in str(refused)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
