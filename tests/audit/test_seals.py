"""Consent records and chronology entries are sealed in the audit chain, so a
rewrite made around the triggers is caught (issue 22: "chronology entries carry
no hash")."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.seals import SEALED_ACTION
from consent.models import ConsentRecord
from consent.records import verbal_consent_record
from incidents.models import ChronologyEntry
from incidents.services import chronology_add
from tests import factories
from tests.audit.test_audit import raw
from tests.audit.test_chain_head import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def consent_record(alice) -> ConsentRecord:
    child = factories.ChildFactory(organisation=alice.organisation)
    guardian = factories.GuardianFactory(organisation=alice.organisation, email="")
    factories.ChildGuardianFactory(child=child, guardian=guardian, parental_responsibility=True)
    consent_type = factories.ConsentTypeFactory(organisation=alice.organisation)
    return verbal_consent_record(
        child=child, guardian=guardian, consent_type=consent_type, by=alice, notes="By phone"
    )


@pytest.fixture
def entry(dana) -> ChronologyEntry:
    incident = factories.IncidentFactory(organisation=dana.organisation, reporter=dana)
    return chronology_add(
        incident=incident,
        by=dana,
        kind="note",
        text="Mother rang: the account has been reported to the platform.",
        happened_at=timezone.now() - dt.timedelta(hours=1),
    )


def test_writing_a_record_seals_it_in_the_chain(consent_record, entry) -> None:
    for obj, label in (
        (consent_record, "consent.consentrecord"),
        (entry, "incidents.chronologyentry"),
    ):
        seal = AuditEvent.objects.get(action=SEALED_ACTION, object_type=label, object_id=obj.pk)
        assert len(seal.details["sha256"]) == 64
        assert "decision" in seal.details["fields"] or "text" in seal.details["fields"]
    code, message = verify()
    assert code == 0, message


def test_a_rewritten_consent_record_is_caught(consent_record) -> None:
    raw("UPDATE consent_consentrecord SET decision = 'refused' WHERE id = %s", [consent_record.pk])
    code, message = verify()
    assert code == 1
    assert (
        f"consent record #{consent_record.pk} (consent.consentrecord): does not match its seal"
        in message
    )


def test_a_rewritten_chronology_entry_is_caught(entry) -> None:
    raw(
        "UPDATE incidents_chronologyentry SET text = 'Nothing of concern.' WHERE id = %s",
        [entry.pk],
    )
    code, message = verify()
    assert code == 1
    assert (
        f"chronology entry #{entry.pk} (incidents.chronologyentry): does not match its seal"
        in message
    )


def test_a_backdated_chronology_entry_is_caught(entry) -> None:
    """Only the time changed: every column is sealed, not just the text."""
    raw(
        "UPDATE incidents_chronologyentry SET happened_at = %s WHERE id = %s",
        [entry.happened_at - dt.timedelta(days=1), entry.pk],
    )
    code, message = verify()
    assert code == 1
    assert f"chronology entry #{entry.pk}" in message


def test_a_deleted_chronology_entry_is_caught(entry) -> None:
    raw("DELETE FROM incidents_chronologyentry WHERE id = %s", [entry.pk])
    code, message = verify()
    assert code == 1
    assert f"chronology entry #{entry.pk} (incidents.chronologyentry): sealed at event" in message
    assert "but missing" in message


def test_a_consent_record_slipped_in_unsealed_is_caught(consent_record) -> None:
    # bulk_create sends no signal: as good as an INSERT made outside Safeguard.
    consent_record.pk = None
    consent_record.decision = "granted"
    (forged,) = ConsentRecord.objects.bulk_create([consent_record])
    code, message = verify()
    assert code == 1
    assert f"consent record #{forged.pk} (consent.consentrecord): has no seal" in message


def test_each_mismatch_is_named(consent_record, entry) -> None:
    raw("UPDATE consent_consentrecord SET notes = 'x' WHERE id = %s", [consent_record.pk])
    raw("UPDATE incidents_chronologyentry SET text = 'x' WHERE id = %s", [entry.pk])
    code, message = verify()
    assert code == 1
    assert f"consent record #{consent_record.pk}" in message
    assert f"chronology entry #{entry.pk}" in message


def test_a_retention_decision_reseals_what_it_changes(consent_record, entry, dana, bob) -> None:
    """Anonymising and deleting through a recorded decision is not tampering."""
    from records.models import RetentionReview
    from records.retention import review_anonymise, review_delete

    def review(obj, kind: str) -> RetentionReview:
        return RetentionReview.objects.create(
            organisation=dana.organisation,
            kind=kind,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            description="Due for review",
            due_on=timezone.localdate() - dt.timedelta(days=RetentionReview.objects.count()),
        )

    erased_pk = consent_record.pk
    review_anonymise(review=review(entry.incident, "incidents"), by=dana, reason="Held 25 years.")
    review_delete(
        review=review(consent_record, "consent_records"), by=bob, reason="Three years on."
    )
    entry.refresh_from_db()
    assert entry.text == "[anonymised]"
    assert not ConsentRecord.objects.filter(pk=erased_pk).exists()
    code, message = verify()
    assert code == 0, message
    assert AuditEvent.objects.filter(action="record.erased", object_id=str(erased_pk)).exists()
