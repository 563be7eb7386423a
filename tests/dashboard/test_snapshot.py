"""The dashboard's kept figures: PostgreSQL changes an organisation's stamp with
every write to a table the figures read, so a kept dashboard is never older than
the last write, nor than the minute."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import Organisation, Role
from children.models import ChildGuardian
from consent import services as consent_services
from consent.models import ConsentType
from dashboard import figures
from dashboard.models import FiguresStamp
from dashboard.snapshot import current_dashboard
from incidents.models import Incident
from tests.dashboard.test_dashboard import breached
from tests.factories import (
    ChildFactory,
    ChildGuardianFactory,
    ConsentRecordFactory,
    IncidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("postgres")


def stamp(organisation: Organisation) -> object:
    return (
        FiguresStamp.objects.filter(organisation=organisation)
        .values_list("stamp", flat=True)
        .first()
    )


def open_incidents(board: figures.Dashboard) -> object:
    figure = board.figure("incidents-open")
    assert figure is not None
    return figure.count


def test_every_table_the_figures_read_changes_the_stamp(db):
    """The triggers are a list frozen in a migration; a new figure reading a new
    table must bring a trigger with it, or a kept dashboard would miss its writes."""
    call_command("seed_demo", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s",
            ["safeguard_figures_insert"],
        )
        triggered = {row[0] for row in cursor.fetchall()}
    tables = set(connection.introspection.table_names())
    read: set[str] = set()
    for organisation in Organisation.objects.all():
        with CaptureQueriesContext(connection) as queries:
            figures.dashboard_for(organisation)
        for query in queries:
            read |= set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"], re.IGNORECASE))
    read &= tables  # leave out the consent query's named subqueries
    assert {"consent_consentrecord", "incidents_incident", "safeguard_childguardian"} <= read
    assert read - triggered == set()


def test_a_kept_dashboard_is_read_without_computing_it_again(organisation, alice):
    IncidentFactory(organisation=organisation, reporter=alice)
    first = current_dashboard(organisation)
    assert first.snapshot_key is not None
    with CaptureQueriesContext(connection) as queries:
        again = current_dashboard(organisation)
    assert len(queries) == 1  # the stamp
    assert again.snapshot_key == first.snapshot_key
    assert open_incidents(again) == open_incidents(first) == 1


def test_writes_the_orm_sends_no_signal_for_still_show_at_once(organisation, alice):
    """Bulk inserts and queryset updates bypass Django's signals; the triggers
    see them all the same."""
    IncidentFactory(organisation=organisation, reporter=alice)
    before = current_dashboard(organisation)
    assert open_incidents(before) == 1

    Incident.objects.bulk_create(
        [IncidentFactory.build(organisation=organisation, reporter=alice, reference="OS-B-1")]
    )
    grown = current_dashboard(organisation)
    assert grown.snapshot_key != before.snapshot_key
    assert open_incidents(grown) == 2

    Incident.objects.filter(organisation=organisation).update(status="closed")
    closed = current_dashboard(organisation)
    assert open_incidents(closed) == 0


def test_a_parent_losing_responsibility_changes_the_consent_figures(organisation):
    """A table without an organisation of its own (the child-parent link) finds
    it through the child, on delete as on insert."""
    consent_services.consent_types_ensure(organisation=organisation)
    online = ConsentType.objects.get(organisation=organisation, code="online_sessions")
    child = ChildFactory(organisation=organisation)
    link = ChildGuardianFactory(child=child, parental_responsibility=True)
    ConsentRecordFactory(
        child=child,
        guardian=link.guardian,
        consent_type=online,
        decision="granted",
        valid_until=timezone.localdate() + dt.timedelta(days=90),
    )

    def covered(board: figures.Dashboard) -> object:
        table = board.table("consent-coverage")
        assert table is not None
        return next(row[1] for row in table.rows if row[0] == online.name)

    kept = current_dashboard(organisation)
    assert covered(kept) == 1
    ChildGuardian.objects.filter(pk=link.pk).delete()
    after = current_dashboard(organisation)
    assert after.snapshot_key != kept.snapshot_key
    assert covered(after) == 0


def test_one_organisations_writes_leave_anothers_stamp_alone(
    organisation, other_organisation, alice, charlie
):
    IncidentFactory(organisation=other_organisation, reporter=charlie)
    IncidentFactory(organisation=organisation, reporter=alice)
    theirs = stamp(other_organisation)
    IncidentFactory(organisation=organisation, reporter=alice, reference="OS-X-2")
    assert stamp(other_organisation) == theirs
    assert stamp(organisation) is not None


def test_the_figures_are_never_more_than_a_minute_older_than_the_clock(organisation, alice):
    IncidentFactory(organisation=organisation, reporter=alice)
    now = timezone.now().replace(second=30)
    this_minute = current_dashboard(organisation, now)
    same = current_dashboard(organisation, now + dt.timedelta(seconds=20))
    next_minute = current_dashboard(organisation, now + dt.timedelta(seconds=40))
    assert this_minute.as_of == same.as_of == now.replace(second=0, microsecond=0)
    assert next_minute.as_of == this_minute.as_of + dt.timedelta(minutes=1)
    assert next_minute.snapshot_key != this_minute.snapshot_key


def test_the_kept_page_never_shows_one_reader_what_only_another_may_open(
    organisation, alice, dana, client_for
):
    """The rendered sections are kept too, apart for those who may open the
    tables naming children."""
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR)
    breached(organisation, alice, ChildFactory(organisation=organisation), days_ago=1)
    as_director, as_lead = client_for(director), client_for(dana)
    key = stamp(organisation)
    director_page = as_director.get("/dashboard/").content.decode()
    lead_page = as_lead.get("/dashboard/").content.decode()
    assert stamp(organisation) == key  # both pages came from the same kept figures
    assert 'data-case-table="practice-breaches"' not in director_page
    assert 'data-case-table="practice-breaches"' in lead_page
    assert (
        'data-case-table="practice-breaches"' not in as_director.get("/dashboard/").content.decode()
    )


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens on port 1: every cache call fails to connect.
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)
def test_an_unreachable_cache_costs_speed_never_the_dashboard(organisation, alice, client_for):
    IncidentFactory(organisation=organisation, reporter=alice)
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR)
    page = client_for(director).get("/dashboard/")
    assert page.status_code == 200
    assert 'data-figure="incidents-open">1<' in page.content.decode()


def test_a_row_moved_to_another_organisation_changes_both_stamps(
    organisation, other_organisation, alice, charlie
):
    moved = IncidentFactory(organisation=organisation, reporter=alice)
    IncidentFactory(organisation=other_organisation, reporter=charlie)
    ours, theirs = stamp(organisation), stamp(other_organisation)
    Incident.objects.filter(pk=moved.pk).update(organisation=other_organisation)
    assert stamp(organisation) != ours
    assert stamp(other_organisation) != theirs


def test_signing_in_keeps_the_figures_and_a_new_role_does_not(organisation, alice):
    from django.contrib.auth.models import update_last_login

    IncidentFactory(organisation=organisation, reporter=alice)
    before = stamp(organisation)
    update_last_login(None, alice)
    type(alice).objects.filter(pk=alice.pk).update(role=alice.role)  # the same value
    assert stamp(organisation) == before
    type(alice).objects.filter(pk=alice.pk).update(role=Role.DIRECTOR)
    assert stamp(organisation) != before


def test_childrens_names_never_sit_in_the_cache(organisation, alice, dana, client_for):
    child = ChildFactory(organisation=organisation, first_name="Zephyrine")
    breached(organisation, alice, child, days_ago=1)
    board = current_dashboard(organisation)
    assert board.snapshot_key is not None
    kept = cache.get(board.snapshot_key)
    assert isinstance(kept, figures.Dashboard)
    assert "Zephyrine" not in repr(kept)
    # Those allowed still read the names, fresh, from a kept dashboard.
    lead = client_for(dana)
    assert "Zephyrine" in lead.get("/dashboard/tables/practice-breaches/").content.decode()
    assert "Zephyrine" in lead.get("/dashboard/tables/practice-breaches.csv").content.decode()


def test_every_table_naming_people_can_be_read_fresh(organisation):
    board = figures.dashboard_for(organisation)
    naming = [t for s in board.sections for t in s.tables if t.names_people]
    assert {t.case_detail for t in naming} == {True, False}  # children's and staff's
    for table in naming:
        fresh = figures.case_table(organisation, table.slug, board.as_of)
        assert fresh is not None
        assert fresh.headers == table.headers


def test_a_kept_dashboard_names_the_organisation_as_it_is_now(organisation, alice):
    IncidentFactory(organisation=organisation, reporter=alice)
    current_dashboard(organisation)
    Organisation.objects.filter(pk=organisation.pk).update(name="Renamed Therapy")
    organisation.refresh_from_db()
    assert current_dashboard(organisation).organisation.name == "Renamed Therapy"
