"""Allegations and low-level concerns about staff: who sees them (never the
person they are about), the LADO clock, the five outcomes, the append-only log."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from allegations import services
from allegations.models import Allegation, AllegationEntry, Kind, Outcome, Status
from allegations.permissions import allegations_visible_to
from allegations.reminders import lado_due_on
from audit.models import AuditEvent
from common.models import AppendOnlyError
from notices import engine as reminders
from notices.engine import local_midnight
from notices.models import Notice
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

ALLEGED = "Seen messaging a child on a personal phone after a session."


def raise_one(raised_by, about, *, kind=Kind.ALLEGATION, children=()):
    return services.allegation_raise(
        raised_by=raised_by,
        kind=kind,
        about=about,
        what_was_alleged=ALLEGED,
        children=list(children),
    )


def pages(allegation: Allegation) -> list[str]:
    base = f"/allegations/{allegation.pk}/"
    return [base, *(base + tail for tail in ("entries/new/", "lado/", "outcome/", "close/"))]


@pytest.fixture
def eve(organisation):
    """Another member of staff at Alder."""
    return UserFactory(organisation=organisation, full_name="Eve Evans", email="eve@alder.test")


# --- who sees it -----------------------------------------------------------------------------


def test_the_dsl_it_is_about_gets_404_and_the_deputy_manages_it(alice, dana, deputy, client_for):
    allegation = raise_one(alice, dana)
    assert allegation.case_manager == deputy  # never the DSL it is about
    for path in pages(allegation):
        assert client_for(dana).get(path).status_code == 404, path
        assert client_for(dana).post(path, {}).status_code == 404, path
        assert client_for(deputy).get(path).status_code == 200, path
    listing = client_for(dana).get("/allegations/")
    assert listing.status_code == 200  # a lead's list, without the one about them
    assert allegation.reference not in listing.content.decode()
    assert ALLEGED not in listing.content.decode()
    assert allegation.reference in client_for(deputy).get("/allegations/").content.decode()
    assert list(allegations_visible_to(dana)) == []


def test_the_subject_gets_404_even_when_named_case_manager(alice, dana, deputy, client_for):
    allegation = raise_one(alice, deputy)
    # Forced past the service's refusal: the permission helper must hold on its own.
    Allegation.objects.filter(pk=allegation.pk).update(case_manager=deputy)
    for path in pages(allegation):
        assert client_for(deputy).get(path).status_code == 404, path


def test_a_case_manager_who_is_not_a_lead_sees_it(alice, dana, eve, bob, client_for):
    allegation = raise_one(alice, bob)
    assert client_for(eve).get(f"/allegations/{allegation.pk}/").status_code == 404
    assert client_for(eve).get("/allegations/").status_code == 403
    services.allegation_case_manager_set(
        allegation=allegation, by=dana, case_manager=eve, reason="The director is away."
    )
    detail = client_for(eve).get(f"/allegations/{allegation.pk}/")
    assert detail.status_code == 200
    assert ALLEGED in detail.content.decode()
    listing = client_for(eve).get("/allegations/")
    assert allegation.reference in listing.content.decode()
    assert 'href="/allegations/"' in client_for(eve).get("/").content.decode()
    # ...and the person it is about cannot be made its case manager.
    with pytest.raises(ValidationError):
        services.allegation_case_manager_set(
            allegation=allegation, by=dana, case_manager=bob, reason="No."
        )


def test_other_staff_the_raiser_and_directors_get_404(alice, dana, eve, director, client_for):
    allegation = raise_one(alice, eve)
    for person in (alice, director):
        for path in pages(allegation):
            assert client_for(person).get(path).status_code == 404, (person, path)
        assert client_for(person).get("/allegations/").status_code == 403
        assert 'href="/allegations/"' not in client_for(person).get("/").content.decode()


def test_another_organisation_gets_404(alice, eve, charlie, other_organisation, client_for):
    allegation = raise_one(alice, eve)
    other_dsl = UserFactory(organisation=other_organisation, role=Role.DSL)
    for person in (charlie, other_dsl):
        for path in pages(allegation):
            assert client_for(person).get(path).status_code == 404, (person, path)
    listing = client_for(other_dsl).get("/allegations/")
    assert allegation.reference not in listing.content.decode()


def test_any_member_of_staff_raises_one_and_sees_nothing_back(alice, eve, dana, client_for):
    client = client_for(alice)
    form = client.get("/allegations/new/")
    assert form.status_code == 200
    child = ChildFactory(organisation=alice.organisation)
    response = client.post(
        "/allegations/new/",
        {"kind": "low_level", "about": eve.pk, "what_was_alleged": "Shouted at a child."},
    )
    assert response.status_code == 302
    assert response["Location"] == "/allegations/raised/"
    allegation = Allegation.objects.get()
    assert allegation.raised_by == alice
    assert allegation.reference == f"AL-{timezone.localdate().year}-0001"
    thanks = client.get(response["Location"]).content.decode()
    assert "The DSL or the case manager has it." in thanks
    assert allegation.reference not in thanks
    assert "Shouted" not in thanks
    assert eve.full_name not in thanks
    # The leads are told; the person it is about is not.
    told = {n.recipient for n in Notice.objects.filter(ledger__kind="allegations.raised")}
    assert dana in told
    assert eve not in told
    # Another organisation's member of staff, or a child, cannot be named.
    stranger = UserFactory()
    refused = client.post(
        "/allegations/new/",
        {"kind": "allegation", "about": stranger.pk, "what_was_alleged": "x", "children": child.pk},
    )
    assert refused.status_code == 200
    assert Allegation.objects.count() == 1


def test_staff_find_where_to_raise_one(alice, client_for):
    page = client_for(alice).get("/incidents/new/").content.decode()
    assert 'href="/allegations/new/"' in page
    assert "Raise a concern about a member of staff" in page


def test_reads_are_audited(alice, dana, deputy, eve, client_for):
    allegation = raise_one(alice, eve)
    client_for(deputy).get("/allegations/")
    assert AuditEvent.objects.filter(action="allegation.list_viewed", actor=deputy).count() == 1
    client_for(deputy).get(f"/allegations/{allegation.pk}/")
    client_for(deputy).get(f"/allegations/{allegation.pk}/lado/")
    viewed = AuditEvent.objects.filter(
        action="allegation.viewed", actor=deputy, object_id=str(allegation.pk)
    )
    assert sorted(event.details["page"] for event in viewed) == ["detail", "lado"]


# --- the LADO clock --------------------------------------------------------------------------


def lado_notices() -> list[tuple[str, str]]:
    return sorted(
        Notice.objects.filter(ledger__kind="allegations.lado").values_list(
            "ledger__stage", "recipient__email"
        )
    )


def test_the_lado_reminder_goes_once_when_due_never_to_the_subject_and_stops(
    alice, dana, deputy, eve
):
    # About the deputy, a lead: the leads are told, but never them.
    allegation = raise_one(alice, deputy)
    tz = zoneinfo.ZoneInfo(allegation.organisation.timezone)
    due_on = lado_due_on(allegation, tz)
    received = allegation.received_at.astimezone(tz).date()
    assert due_on > received
    reminders.sweep(now=local_midnight(received, tz) + dt.timedelta(hours=23))
    assert lado_notices() == []
    on_the_day = local_midnight(due_on, tz) + dt.timedelta(hours=9)
    reminders.sweep(now=on_the_day)
    reminders.sweep(now=on_the_day + dt.timedelta(hours=1))  # again: no duplicate
    assert lado_notices() == [("due", dana.email)]
    reminders.sweep(now=on_the_day + dt.timedelta(days=1))
    assert lado_notices() == [("due", dana.email), ("overdue", dana.email)]
    assert not Notice.objects.filter(recipient=deputy).exists()
    services.allegation_lado_record(
        allegation=allegation, by=dana, referred_on=timezone.localdate(), reference="LADO/42"
    )
    reminders.sweep(now=on_the_day + dt.timedelta(days=8))
    assert len(lado_notices()) == 2


def test_the_case_manager_is_reminded_too_and_low_level_concerns_have_no_clock(
    alice, dana, deputy, eve
):
    concern = raise_one(alice, eve, kind=Kind.LOW_LEVEL)
    allegation = raise_one(alice, dana)  # the deputy manages it; the DSL is never told
    tz = zoneinfo.ZoneInfo(allegation.organisation.timezone)
    reminders.sweep(now=local_midnight(lado_due_on(allegation, tz), tz) + dt.timedelta(hours=9))
    assert lado_notices() == [("due", deputy.email)]
    assert not Notice.objects.filter(ledger__object_id=str(concern.pk)).exclude(
        ledger__kind="allegations.raised"
    )
    assert not Notice.objects.filter(recipient=dana, ledger__object_id=str(allegation.pk))


# --- the case --------------------------------------------------------------------------------


def test_the_outcome_is_one_of_the_five(alice, dana, eve, client_for):
    assert set(Outcome.values) == {
        "substantiated",
        "malicious",
        "false",
        "unsubstantiated",
        "unfounded",
    }
    allegation = raise_one(alice, eve)
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.allegation_outcome_record(
            allegation=allegation, by=dana, outcome="inconclusive", outcome_on=today, rationale="x"
        )
    client = client_for(dana)
    path = f"/allegations/{allegation.pk}/outcome/"
    refused = client.post(path, {"outcome": "inconclusive", "outcome_on": today, "rationale": "x"})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    allegation.refresh_from_db()
    assert allegation.outcome == ""
    done = client.post(path, {"outcome": "false", "outcome_on": today, "rationale": "CCTV."})
    assert done.status_code == 302
    allegation.refresh_from_db()
    assert (allegation.outcome, allegation.outcome_by, allegation.status) == (
        "false",
        dana,
        Status.OUTCOME,
    )
    page = client.get(f"/allegations/{allegation.pk}/").content.decode()
    assert "Remove this allegation from the member of staff's personnel records" in page


def test_an_allegation_closes_after_the_lado_referral_and_the_outcome(alice, dana, eve):
    allegation = raise_one(alice, eve)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="outcome"):
        services.allegation_close(allegation=allegation, by=dana, note="Done.")
    services.allegation_outcome_record(
        allegation=allegation, by=dana, outcome="unfounded", outcome_on=today, rationale="None."
    )
    with pytest.raises(ValidationError, match="LADO"):
        services.allegation_close(allegation=allegation, by=dana, note="Done.")
    services.allegation_lado_record(allegation=allegation, by=dana, referred_on=today)
    closed = services.allegation_close(allegation=allegation, by=dana, note="LADO agreed.")
    assert closed.status == Status.CLOSED
    assert closed.closed_by == dana
    assert [entry.kind for entry in closed.entries.all()] == [
        "information",
        "decision",
        "lado",
        "decision",
    ]
    assert closed.history.count() >= 4  # the workflow's field history is kept


def test_the_log_is_append_only(alice, dana, eve):
    allegation = raise_one(alice, eve)
    entry = services.allegation_entry_add(
        allegation=allegation,
        by=dana,
        kind="action",
        text="Spoke to the LADO for advice.",
        happened_at=timezone.now(),
    )
    entry.text = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        AllegationEntry.objects.filter(pk=entry.pk).update(text="rewritten")
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_postgres_refuses_changes_to_the_log_and_to_what_was_alleged(postgres, alice, dana, eve):
    allegation = raise_one(alice, eve)
    statements = [
        ("UPDATE allegations_allegationentry SET text = 'rewritten'", "append-only"),
        ("DELETE FROM allegations_allegationentry", "append-only"),
        ("UPDATE allegations_allegation SET what_was_alleged = 'rewritten'", "kept as submitted"),
        ("UPDATE allegations_allegation SET about_id = raised_by_id", "kept as submitted"),
    ]
    for statement, refusal in statements:
        with connection.cursor() as cursor:
            cursor.execute("SAVEPOINT s")
            with pytest.raises(Exception, match=refusal):
                cursor.execute(statement)
            cursor.execute("ROLLBACK TO SAVEPOINT s")
    # The workflow columns still change.
    services.allegation_lado_record(
        allegation=allegation, by=dana, referred_on=timezone.localdate()
    )
    allegation.refresh_from_db()
    assert allegation.what_was_alleged == ALLEGED
    assert AllegationEntry.objects.filter(allegation=allegation).count() == 2
