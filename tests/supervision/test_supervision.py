"""Supervision: sessions between a lead and a member of staff, the children
discussed (each on their own chronology only), actions reminded until done,
and the reminder that someone's next supervision is due."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from common.models import AppendOnlyError
from incidents.timeline import child_timeline
from notices import engine as reminders
from notices.models import Notice
from supervision import services
from supervision.models import ChildDiscussed, SupervisionAction, SupervisionSession
from supervision.selectors import child_supervision_history, staff_supervision
from supervision.services import ActionAgreed, Discussion
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def stages(kind: str) -> list[tuple[str, str]]:
    return sorted(
        Notice.objects.filter(ledger__kind=kind).values_list("ledger__stage", "recipient__email")
    )


@pytest.fixture
def noor(organisation):
    return ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")


@pytest.fixture
def sam(organisation):
    return ChildFactory(organisation=organisation, first_name="Sam", last_name="Okafor")


@pytest.fixture
def ellis(organisation):
    """A third child, never discussed."""
    return ChildFactory(organisation=organisation, first_name="Ellis", last_name="Price")


def record(dana, alice, *, held_on=None, discussions=(), actions=(), notes="Workload is fine."):
    return services.session_record(
        by=dana,
        supervisor=dana,
        supervisee=alice,
        held_on=held_on or timezone.localdate(),
        notes=notes,
        discussions=discussions,
        actions=actions,
    )


# --- recording a session, and the children's chronologies


def test_each_child_discussed_goes_on_that_childs_timeline_only(dana, alice, noor, sam, ellis):
    session = record(
        dana,
        alice,
        notes="General notes about Alice's caseload",
        discussions=[
            Discussion(child=noor, discussed="Noor is withdrawn online.", agreed="Call mum."),
            Discussion(child=sam, discussed="Sam's new gaming friend."),
        ],
    )
    noor_items = [item for item in child_timeline(noor) if item.source == "Supervision"]
    sam_items = [item for item in child_timeline(sam) if item.source == "Supervision"]
    assert [(i.kind, i.text, i.who) for i in noor_items] == [
        ("Discussed in supervision", "Noor is withdrawn online.\nAgreed: Call mum.", "Dana Douglas")
    ]
    assert [i.text for i in sam_items] == ["Sam's new gaming friend."]
    # Held on the date, at noon where the organisation is.
    assert noor_items[0].when.astimezone(dt.UTC) == session.held_at.astimezone(dt.UTC)
    assert timezone.localtime(noor_items[0].when).hour == 12
    # Neither child's chronology names the other, nor carries the session's general notes.
    everything_on_noors = " ".join(item.text for item in child_timeline(noor))
    assert "Sam" not in everything_on_noors
    assert "General notes" not in everything_on_noors
    assert "Noor" not in " ".join(item.text for item in sam_items)
    assert child_supervision_history(child=ellis) == []
    assert not [item for item in child_timeline(ellis) if item.source == "Supervision"]


def test_another_organisations_child_cannot_be_discussed(dana, alice, other_organisation):
    stranger = ChildFactory(organisation=other_organisation)
    with pytest.raises(ValidationError):
        record(dana, alice, discussions=[Discussion(child=stranger, discussed="x")])
    assert not SupervisionSession.objects.exists()


def test_only_leads_record_and_nobody_supervises_themselves(dana, alice, deputy):
    with pytest.raises(ValidationError):
        services.session_record(
            by=alice, supervisor=dana, supervisee=alice, held_on=timezone.localdate()
        )
    with pytest.raises(ValidationError) as refused:
        services.session_record(
            by=dana, supervisor=deputy, supervisee=deputy, held_on=timezone.localdate()
        )
    assert "supervisee" in refused.value.error_dict
    with pytest.raises(ValidationError) as future:
        record(dana, alice, held_on=timezone.localdate() + dt.timedelta(days=1))
    assert "held_on" in future.value.error_dict


def test_recording_through_the_page(client_for, dana, alice, noor, sam):
    page = client_for(dana)
    assert page.get(f"/supervision/sessions/new/?staff={alice.pk}").status_code == 200
    today = timezone.localdate()
    base = {
        "supervisor": dana.pk,
        "supervisee": alice.pk,
        "held_on": today.isoformat(),
        "notes": "Feeling well supported.",
    }
    # A half-filled row is an error beside what is missing; nothing is saved.
    half = page.post("/supervision/sessions/new/", {**base, "discussed_1": "About someone"})
    assert half.status_code == 200
    assert "child_1" in half.context["form"].errors
    same_twice = page.post(
        "/supervision/sessions/new/",
        {**base, "child_1": noor.pk, "discussed_1": "a", "child_2": noor.pk, "discussed_2": "b"},
    )
    assert "child_2" in same_twice.context["form"].errors
    no_date = page.post(
        "/supervision/sessions/new/", {**base, "owner_1": alice.pk, "what_1": "Read the policy"}
    )
    assert "due_1" in no_date.context["form"].errors
    assert not SupervisionSession.objects.exists()
    done = page.post(
        "/supervision/sessions/new/",
        {
            **base,
            "child_1": noor.pk,
            "discussed_1": "Noor's worries about a group chat.",
            "agreed_1": "Alice to talk to Noor's mum.",
            "child_3": sam.pk,
            "discussed_3": "Sam is doing well.",
            "owner_1": alice.pk,
            "what_1": "Talk to the parent",
            "due_1": (today + dt.timedelta(days=7)).isoformat(),
        },
    )
    session = SupervisionSession.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/supervision/sessions/{session.pk}/"
    assert sorted(d.child.first_name for d in session.children_discussed.all()) == ["Noor", "Sam"]
    (action,) = session.actions.all()
    assert (action.owner, action.what) == (alice, "Talk to the parent")
    assert AuditEvent.objects.filter(action="supervision.session_recorded").count() == 1


# --- who sees what


def test_staff_see_their_own_sessions_and_nobody_elses(client_for, dana, alice, organisation, noor):
    mine = record(dana, alice, discussions=[Discussion(child=noor, discussed="About Noor")])
    colleague = UserFactory(organisation=organisation, full_name="Cal Colleague")
    theirs = record(dana, colleague)
    as_alice = client_for(alice)
    page = as_alice.get(f"/supervision/sessions/{mine.pk}/")
    assert page.status_code == 200
    assert "About Noor" in page.content.decode()
    assert as_alice.get(f"/supervision/sessions/{theirs.pk}/").status_code == 404
    listed = as_alice.get("/supervision/mine/")
    assert f"/supervision/sessions/{mine.pk}/" in listed.content.decode()
    assert f"/supervision/sessions/{theirs.pk}/" not in listed.content.decode()
    # The leads' pages are theirs alone.
    assert as_alice.get("/supervision/").status_code == 403
    assert as_alice.get("/supervision/sessions/new/").status_code == 403
    assert as_alice.get(f"/supervision/staff/{colleague.pk}/cadence/").status_code == 403


def test_another_organisation_gets_404(client_for, dana, alice, other_organisation):
    session = record(dana, alice)
    action = SupervisionAction.objects.create(
        organisation=dana.organisation,
        session=session,
        owner=alice,
        what="x",
        due_on=timezone.localdate(),
    )
    other_dsl = UserFactory(organisation=other_organisation, role=Role.DSL)
    page = client_for(other_dsl)
    for url in (
        f"/supervision/sessions/{session.pk}/",
        f"/supervision/actions/{action.pk}/done/",
        f"/supervision/staff/{alice.pk}/",
        f"/supervision/staff/{alice.pk}/cadence/",
    ):
        assert page.get(url).status_code == 404, url
    # Their own list shows none of Alder's staff.
    assert alice.full_name not in page.get("/supervision/").content.decode()


def test_every_read_of_a_session_is_audited(client_for, dana, deputy, alice):
    session = record(dana, alice)
    before = AuditEvent.objects.filter(action="supervision.session_viewed").count()
    client_for(deputy).get(f"/supervision/sessions/{session.pk}/")
    client_for(alice).get(f"/supervision/sessions/{session.pk}/")
    events = AuditEvent.objects.filter(action="supervision.session_viewed").order_by("pk")
    assert events.count() == before + 2
    assert [e.actor_id for e in events][-2:] == [deputy.pk, alice.pk]
    assert {e.object_id for e in events} == {str(session.pk)}


# --- actions: reminded when due, until done


def test_an_action_is_reminded_once_when_due_and_stops_when_done(client_for, dana, alice):
    due_on = timezone.localdate() + dt.timedelta(days=3)
    session = record(
        dana, alice, actions=[ActionAgreed(owner=alice, what="Read the policy", due_on=due_on)]
    )
    (action,) = session.actions.all()
    reminders.sweep(now=at(due_on - dt.timedelta(days=1)))
    assert stages("supervision.action") == []
    reminders.sweep(now=at(due_on))
    reminders.sweep(now=at(due_on, hour=15))  # a second sweep that day sends nothing more
    assert stages("supervision.action") == [("due", alice.email)]
    (notice,) = Notice.objects.filter(ledger__kind="supervision.action")
    assert "Read the policy" not in notice.title  # titles are emailed
    assert notice.url == f"/supervision/actions/{action.pk}/done/"
    # Overdue: weekly.
    reminders.sweep(now=at(due_on + dt.timedelta(days=7)))
    assert stages("supervision.action") == [("due", alice.email), ("overdue-1w", alice.email)]
    # The owner marks it done: no more reminders.
    page = client_for(alice)
    assert page.get(f"/supervision/actions/{action.pk}/done/").status_code == 200
    done = page.post(
        f"/supervision/actions/{action.pk}/done/", {"done_on": timezone.localdate().isoformat()}
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.done_by == alice
    assert action.history.count() == 2
    again = page.post(
        f"/supervision/actions/{action.pk}/done/", {"done_on": timezone.localdate().isoformat()}
    )
    assert "already marked done" in again.content.decode()
    reminders.sweep(now=at(due_on + dt.timedelta(days=14)))
    assert len(stages("supervision.action")) == 2


def test_only_its_owner_or_a_lead_marks_an_action_done(client_for, dana, alice, organisation):
    colleague = UserFactory(organisation=organisation)
    session = record(
        dana,
        colleague,
        actions=[ActionAgreed(owner=alice, what="Book training", due_on=timezone.localdate())],
    )
    (action,) = session.actions.all()
    assert client_for(colleague).get(f"/supervision/actions/{action.pk}/done/").status_code == 404
    # Alice owns it, though the session was someone else's: she sees the action, not the session.
    as_alice = client_for(alice)
    assert as_alice.get(f"/supervision/actions/{action.pk}/done/").status_code == 200
    assert as_alice.get(f"/supervision/sessions/{session.pk}/").status_code == 404
    assert client_for(dana).get(f"/supervision/actions/{action.pk}/done/").status_code == 200


# --- how often, and when next


def test_the_leads_are_reminded_when_someones_supervision_is_due(dana, deputy, alice):
    last = timezone.localdate() - dt.timedelta(weeks=2)
    record(dana, alice, held_on=last)
    services.cadence_set(staff=alice, every_weeks=4, by=dana)
    due_on = last + dt.timedelta(weeks=4)
    (row,) = [r for r in staff_supervision(organisation=dana.organisation) if r.staff == alice]
    assert (row.every_weeks, row.own_cadence, row.next_due) == (4, True, due_on)
    reminders.sweep(now=at(due_on - dt.timedelta(days=8)))
    assert not Notice.objects.filter(
        ledger__kind="supervision.session", ledger__object_id=alice.pk
    ).exists()
    reminders.sweep(now=at(due_on - dt.timedelta(days=7)))
    reminders.sweep(now=at(due_on - dt.timedelta(days=7), hour=16))
    alices = [
        (n.ledger.stage, n.recipient.email)
        for n in Notice.objects.filter(
            ledger__kind="supervision.session", ledger__object_id=alice.pk
        )
    ]
    assert sorted(alices) == sorted([("7d", dana.email), ("7d", deputy.email)])
    # Overdue: the leads hear again, weekly.
    reminders.sweep(now=at(due_on + dt.timedelta(days=7)))
    overdue = Notice.objects.filter(
        ledger__kind="supervision.session", ledger__object_id=alice.pk, ledger__stage="overdue-1w"
    )
    assert overdue.count() == 2
    # A session recorded moves the date: nothing is due now.
    record(dana, alice, held_on=timezone.localdate())
    (row,) = [r for r in staff_supervision(organisation=dana.organisation) if r.staff == alice]
    assert row.next_due == timezone.localdate() + dt.timedelta(weeks=4)


def test_no_supervision_reminders_before_the_organisation_keeps_supervision_here(dana, alice):
    reminders.sweep(now=at(timezone.localdate() + dt.timedelta(weeks=20)))
    assert stages("supervision.session") == []


def test_the_organisation_default_applies_unless_set_for_a_person(client_for, dana, alice):
    page = client_for(dana)
    assert page.post("/supervision/settings/", {"default_every_weeks": "8"}).status_code == 302
    (row,) = [r for r in staff_supervision(organisation=dana.organisation) if r.staff == alice]
    assert (row.every_weeks, row.own_cadence) == (8, False)
    refused = page.post(f"/supervision/staff/{alice.pk}/cadence/", {"every_weeks": "0"})
    assert refused.status_code == 200
    assert "every_weeks" in refused.context["form"].errors
    assert (
        page.post(f"/supervision/staff/{alice.pk}/cadence/", {"every_weeks": "3"}).status_code
        == 302
    )
    (row,) = [r for r in staff_supervision(organisation=dana.organisation) if r.staff == alice]
    assert (row.every_weeks, row.own_cadence) == (3, True)
    listed = page.get("/supervision/").content.decode()
    assert alice.full_name in listed
    assert "Every 3 weeks" in listed


def test_an_overdue_supervision_is_flagged_on_the_list(client_for, dana, alice):
    record(dana, alice, held_on=timezone.localdate() - dt.timedelta(weeks=10))
    listed = client_for(dana).get("/supervision/").content.decode()
    assert "Overdue" in listed


# --- append-only


def test_a_session_and_its_discussions_are_never_changed(dana, alice, noor):
    session = record(dana, alice, discussions=[Discussion(child=noor, discussed="About Noor")])
    session.notes = "Rewritten"
    with pytest.raises(AppendOnlyError):
        session.save()
    with pytest.raises(AppendOnlyError):
        ChildDiscussed.objects.filter(session=session).update(discussed="Rewritten")


def test_postgres_refuses_changes_to_supervision_records(postgres, dana, alice, noor):
    record(dana, alice, discussions=[Discussion(child=noor, discussed="About Noor")])
    statements = [
        "UPDATE supervision_supervisionsession SET notes = 'Rewritten'",
        "DELETE FROM supervision_supervisionsession",
        "UPDATE supervision_childdiscussed SET discussed = 'Rewritten'",
        "DELETE FROM supervision_childdiscussed",
    ]
    for statement in statements:
        with connection.cursor() as cursor:
            cursor.execute("SAVEPOINT s")
            with pytest.raises(Exception, match="append-only"):
                cursor.execute(statement)
            cursor.execute("ROLLBACK TO SAVEPOINT s")
    assert ChildDiscussed.objects.get().discussed == "About Noor"
