"""Allegations joined to records: a child's subject access export, retention
reviews, who is told, the sealed log, local retention dates and shared pieces."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from allegations import services
from allegations.models import Allegation, AllegationEntry, Kind
from allegations.permissions import told_about
from allegations.reminders import lado_referrals
from allegations.retention import ALLEGATIONS
from audit.models import AuditEvent
from audit.seals import RESEALED_ACTION, SEALED_ACTION
from notices.models import Notice
from records import retention, subject_access
from records.models import RetentionReview
from tests.audit.test_chain_head import verify
from tests.factories import ChildFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

ALLEGED = "Took a child home in a private car without telling anyone."
ENTRY = "Spoke to the LADO, who advised a strategy meeting."


def _contents(content: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}


def _closed(allegation: Allegation, closed_at: dt.datetime) -> Allegation:
    Allegation.objects.filter(pk=allegation.pk).update(status="closed", closed_at=closed_at)
    allegation.refresh_from_db()
    return allegation


# --- 1. a child's subject access export ------------------------------------------------------


def test_a_childs_export_never_shows_the_allegation_to_the_lead_it_is_about(
    alice, bob, dana, deputy, client_for
):
    child = ChildFactory(organisation=dana.organisation, first_name="Noor")
    allegation = services.allegation_raise(
        raised_by=alice,
        kind=Kind.ALLEGATION,
        about=dana,
        what_was_alleged=ALLEGED,
        children=[child],
    )
    services.allegation_entry_add(
        allegation=allegation, by=deputy, kind="lado", text=ENTRY, happened_at=timezone.now()
    )
    sar = subject_access.sar_record(
        organisation=dana.organisation,
        requester="Noor's mother",
        child=child,
        received_on=timezone.localdate(),
        by=dana,
    )
    url = f"/subject-access/{sar.pk}/export.zip"

    # The DSL it is about: nothing of it, anywhere, not even a count.
    mine = _contents(client_for(dana).get(url).content)
    for name, text in mine.items():
        for secret in (ALLEGED, ENTRY, allegation.reference):
            assert secret not in text, name
        assert "allegations." not in name
    assert "allegations." not in mine["index.json"]

    # An admin, who may not read safeguarding records: not even "rows left out".
    admins = _contents(client_for(bob).get(url).content)
    assert "allegations." not in admins["index.json"]
    assert not any(ALLEGED in text for text in admins.values())

    # Another lead: in the review folder, with its log.
    theirs = _contents(client_for(deputy).get(url).content)
    review = f"{subject_access.REVIEW_FOLDER}/allegations.allegation.json"
    assert ALLEGED in theirs[review]
    assert ENTRY in theirs[f"{subject_access.REVIEW_FOLDER}/allegations.allegationentry.json"]
    index = json.loads(theirs["index.json"])
    assert any(entry["model"] == "allegations.allegation" for entry in index["records"])


# --- 2. retention reviews --------------------------------------------------------------------


@pytest.fixture
def review_about_deputy(alice, dana, deputy) -> RetentionReview:
    allegation = services.allegation_raise(
        raised_by=alice, kind=Kind.LOW_LEVEL, about=deputy, what_was_alleged=ALLEGED
    )
    _closed(allegation, timezone.now() - dt.timedelta(days=3700))
    assert retention.queue_reviews(organisation=dana.organisation) == 1
    return RetentionReview.objects.get(kind="allegations")


def test_the_subject_neither_sees_nor_decides_the_review(
    review_about_deputy, dana, deputy, client_for
):
    review = review_about_deputy
    page = f"/retention/reviews/{review.pk}/"
    assert client_for(deputy).get(page).status_code == 404
    assert client_for(deputy).post(f"{page}confirm/").status_code == 404
    assert review.description not in client_for(deputy).get("/retention/").content.decode()
    assert client_for(dana).get(page).status_code == 200
    assert review.description in client_for(dana).get("/retention/").content.decode()
    with pytest.raises(ValidationError):
        retention.review_keep(
            review=review,
            by=deputy,
            reason="Keep.",
            keep_until=timezone.localdate().replace(year=timezone.localdate().year + 1),
        )
    with pytest.raises(ValidationError):
        retention.review_anonymise(review=review, by=deputy, reason="Ten years.")
    with pytest.raises(ValidationError):
        retention.review_delete(review=review, by=deputy, reason="Ten years.")


def test_the_subject_is_not_reminded_nor_asked_to_confirm(review_about_deputy, dana, deputy):
    review = review_about_deputy
    items = list(
        retention.reviews_due(
            organisation=dana.organisation, now=timezone.now() + dt.timedelta(days=1)
        )
    )
    (item,) = [item for item in items if item.obj == review]
    assert dana in item.recipients
    assert deputy not in item.recipients
    assert retention.reviewers(dana.organisation, ALLEGATIONS, review) == [dana]
    retention.review_delete(review=review, by=dana, reason="Ten years on.")
    assert not Notice.objects.filter(recipient=deputy, ledger__kind="retention.confirm").exists()


# --- 3. who is told --------------------------------------------------------------------------


def test_an_admin_standing_in_for_absent_leads_is_not_told():
    organisation = OrganisationFactory()
    admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR)
    staff = UserFactory(organisation=organisation)
    allegation = services.allegation_raise(
        raised_by=staff,
        kind=Kind.ALLEGATION,
        about=UserFactory(organisation=organisation),
        what_was_alleged=ALLEGED,
    )
    assert allegation.case_manager == director
    assert told_about(allegation) == [director]
    assert not Notice.objects.filter(recipient=admin).exists()
    assert Notice.objects.filter(recipient=director).exists()
    (item,) = lado_referrals(organisation=organisation, now=timezone.now() + dt.timedelta(days=10))
    assert item.recipients == [director]


# --- 4. the log is sealed --------------------------------------------------------------------


def test_the_log_is_sealed_and_anonymising_reseals_it(alice, dana, deputy):
    allegation = services.allegation_raise(
        raised_by=alice, kind=Kind.ALLEGATION, about=deputy, what_was_alleged=ALLEGED
    )
    entry = allegation.entries.get()
    assert AuditEvent.objects.filter(
        action=SEALED_ACTION, object_type="allegations.allegationentry", object_id=str(entry.pk)
    ).exists()
    _closed(allegation, timezone.now() - dt.timedelta(days=3700))
    retention.queue_reviews(organisation=dana.organisation)
    review = RetentionReview.objects.get(kind="allegations")
    retention.review_anonymise(review=review, by=dana, reason="Ten years on.")
    assert AllegationEntry.objects.get(pk=entry.pk).text == retention.ANONYMISED
    assert AuditEvent.objects.filter(action=RESEALED_ACTION, object_id=str(entry.pk)).exists()
    code, message = verify()
    assert code == 0, message


# --- 5. retention dates in the organisation's zone -------------------------------------------


def test_the_review_date_is_counted_from_the_local_day_of_closure(alice, dana, deputy):
    assert dana.organisation.timezone == "Europe/London"
    allegation = services.allegation_raise(
        raised_by=alice, kind=Kind.LOW_LEVEL, about=deputy, what_was_alleged=ALLEGED
    )
    # 00:30 on 1 July in London, still 30 June in UTC.
    _closed(allegation, dt.datetime(2016, 6, 30, 23, 30, tzinfo=dt.UTC))
    assert list(ALLEGATIONS.due(dana.organisation, 120, dt.date(2026, 6, 30))) == []
    (due,) = ALLEGATIONS.due(dana.organisation, 120, dt.date(2026, 7, 1))
    assert due.due_on == dt.date(2026, 7, 1)
    assert "closed Jul 2016" in due.description


# --- 6. one of each --------------------------------------------------------------------------


def test_one_staff_choice_field():
    from allegations import forms as allegation_forms
    from common import forms as common_forms
    from records import forms as record_forms

    assert allegation_forms.StaffChoiceField is common_forms.StaffChoiceField
    assert record_forms.StaffChoiceField is common_forms.StaffChoiceField
