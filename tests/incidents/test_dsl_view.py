"""The DSL's view of the log: what comes first in the list, how an incident's
page reads, and who has opened a record."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from audit import services as audit
from audit.selectors import openers_of
from children import services as caseload
from common.pagination import PER_PAGE
from incidents import services
from incidents.models import ChronologyEntry, EntryKind, Status
from tests.factories import ChildFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def raise_concern(reporter, children, **overrides):
    fields = {
        "occurred_at": ago(hours=3),
        "disclosed_at": ago(hours=2),
        "category": "contact",
        "incident_type": "grooming",
        "platform": "A game's chat",
        "what_happened": "An adult asked Noor to move to a private app.",
        "childs_words": "He said not to tell my mum.",
        "initial_risk": "medium",
    }
    fields.update(overrides)
    return services.incident_raise(reporter=reporter, children=children, **fields)


def rows(response) -> list[str]:
    """The incident references in the list, in the order of its rows."""
    return re.findall(r'data-incident="([^"]+)"', response.content.decode())


# --- the list


def test_an_untriaged_high_risk_concern_is_the_first_row(organisation, dana, client_for):
    today = timezone.localdate()

    def incident(reference, risk, status, days_ago, **extra):
        return IncidentFactory(
            organisation=organisation,
            reference=reference,
            initial_risk=risk,
            status=status,
            reported_at=ago(days=days_ago),
            **extra,
        )

    incident("LOW-NEW", "low", Status.NEW, 0)  # the newest of all
    incident("HIGH-NEW", "high", Status.NEW, 3)
    incident("IMMEDIATE-OLD", "immediate", Status.TRIAGED, 40)
    incident("MEDIUM-OVERDUE", "medium", Status.ACTION, 10, next_action_due=today - dt.timedelta(1))
    incident("MEDIUM-TRIAGED", "medium", Status.TRIAGED, 1)
    incident("HIGH-REFERRED", "high", Status.REFERRED, 20)

    response = client_for(dana).get("/incidents/")

    assert rows(response) == [
        "HIGH-NEW",
        "LOW-NEW",
        "MEDIUM-OVERDUE",
        "IMMEDIATE-OLD",
        "HIGH-REFERRED",
        "MEDIUM-TRIAGED",
    ]
    first = response.content.decode().split('data-incident="HIGH-NEW"')[1].split("</tr>")[0]
    assert "Not yet triaged" in first
    assert "data-risk>High<" in first
    triaged = response.content.decode().split('data-incident="IMMEDIATE-OLD"')[1].split("</tr>")[0]
    assert "Not yet triaged" not in triaged
    assert "Immediate danger" in triaged


def test_the_order_holds_across_pages(organisation, dana, client_for):
    for n in range(PER_PAGE + 2):
        IncidentFactory(organisation=organisation, reference=f"LOW-{n:02}", reported_at=ago(days=n))
    IncidentFactory(
        organisation=organisation,
        reference="URGENT",
        initial_risk="immediate",
        status=Status.NEW,
        reported_at=ago(days=90),
    )
    client = client_for(dana)
    assert rows(client.get("/incidents/"))[0] == "URGENT"
    later = client.get("/incidents/?page=2")
    assert later.status_code == 200
    assert "URGENT" not in rows(later)


# --- one incident's page


def test_the_page_reads_in_the_order_a_dsl_needs(dana, alice, child, client_for):
    incident = raise_concern(alice, [child])
    services.incident_triage(
        incident=incident, by=dana, decision="Speak to the parents.", risk="high"
    )
    html = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()

    sections = [
        "The concern as reported",
        "What needs doing",
        ">Chronology<",
        ">Referrals<",
        ">Evidence<",
        "Close this incident",
    ]
    places = [html.index(section) for section in sections]
    assert places == sorted(places)
    # The concern comes straight after the header.
    assert (
        html.index("<h1")
        < html.index("The concern as reported")
        < html.index("Noor to move to a private app")
        < html.index("Speak to the parents.")
    )

    routine = html.split("data-routine-actions>")[1].split("</div>")[0]
    assert "Add to the chronology" in routine
    assert "Record a referral" in routine
    assert "Set the next action" in routine
    assert "/close/" not in routine
    close = html.split('data-section="close"')[1]
    assert f"/incidents/{incident.pk}/close/" in close
    assert "govuk-button--warning" in close
    assert html.count(f"/incidents/{incident.pk}/close/") == 1


def test_an_untriaged_incident_says_so_and_cannot_be_closed_yet(dana, alice, child, client_for):
    incident = raise_concern(alice, [child])
    html = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Not yet triaged" in html
    assert "Triage it first" in html
    assert f"/incidents/{incident.pk}/close/" not in html


def test_only_entries_people_wrote_offer_a_correction(dana, alice, child, client_for):
    incident = raise_concern(alice, [child])
    composed = list(incident.chronology.all())
    assert composed
    assert all(entry.composed for entry in composed)
    written = services.chronology_add(
        incident=incident,
        by=dana,
        kind=EntryKind.values[0],
        text="Rang the mother.",
        happened_at=ago(minutes=5),
    )
    # Written before Safeguard marked which entries it composed: treated as a person's.
    older = ChronologyEntry.objects.create(
        organisation=incident.organisation,
        incident=incident,
        author=dana,
        kind=EntryKind.values[0],
        text="An old note.",
        happened_at=ago(minutes=50),
        composed=None,
    )

    html = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()

    assert f"?corrects={written.pk}" in html
    assert f"?corrects={older.pk}" in html
    for entry in composed:
        assert f"?corrects={entry.pk}" not in html


# --- who has opened it


def test_leads_see_who_opened_an_incident_and_how_often(dana, deputy, alice, child, client_for):
    incident = raise_concern(alice, [child])
    services.incident_access_grant(incident=incident, staff=alice, by=dana)
    dana_client = client_for(dana)
    dana_client.get(f"/incidents/{incident.pk}/")
    client_for(deputy).get(f"/incidents/{incident.pk}/")
    client_for(alice).get(f"/incidents/{incident.pk}/")

    response = dana_client.get(f"/incidents/{incident.pk}/")

    openers = {opener.name: opener for opener in response.context["openers"]}
    assert openers[dana.full_name].times == 2  # this read counts too
    assert openers[deputy.full_name].times == 1
    assert openers[alice.full_name].times == 1
    assert openers[deputy.full_name].role == "Deputy DSL"
    assert openers[dana.full_name].first <= openers[dana.full_name].last
    html = response.content.decode()
    assert "<details" in html.split("data-openers")[0][-200:]
    assert deputy.full_name in html.split("data-openers")[1]


def test_a_therapist_sees_no_list_of_who_opened_it(dana, alice, child, client_for):
    incident = raise_concern(alice, [child])
    services.incident_access_grant(incident=incident, staff=alice, by=dana)
    client_for(dana).get(f"/incidents/{incident.pk}/")

    response = client_for(alice).get(f"/incidents/{incident.pk}/")

    assert response.status_code == 200
    assert response.context["openers"] == []
    assert "data-openers" not in response.content.decode()


def test_another_organisations_events_are_not_counted(dana, alice, charlie, child):
    incident = raise_concern(alice, [child])
    audit.record(action="incident.viewed", actor=dana, obj=incident)
    # An event about the same id written for another organisation's user.
    audit.record(action="incident.viewed", actor=charlie, obj=incident)

    names = [opener.name for opener in openers_of(incident)]

    assert names == [dana.full_name]


def test_openers_are_counted_in_one_query(dana, deputy, alice, child, django_assert_num_queries):
    incident = raise_concern(alice, [child])
    for person in (dana, deputy, dana, alice):
        audit.record(action="incident.viewed", actor=person, obj=incident)
    with django_assert_num_queries(1):
        openers = openers_of(incident)
    assert (openers[0].name, openers[0].times) == (alice.full_name, 1)
    assert {opener.name: opener.times for opener in openers}[dana.full_name] == 2
