"""A personal data breach is its own kind: no kind of risk asked; the ICO's 72
hours counted down at the top of its page until the decision is recorded."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from children import services as caseload
from incidents import ico, services
from incidents.models import CATEGORY_REQUIRED, Incident
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def concern_post(child, **overrides):
    now = timezone.localtime()
    data = {
        "children": [child.pk],
        "occurred_at": (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "disclosed_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "incident_type": "data_breach",
        "platform": "Email",
        "what_happened": "A report about Noor was emailed to the wrong parent.",
        "initial_risk": "medium",
    }
    data.update(overrides)
    return data


def breach(reporter, disclosed_at, **overrides):
    fields = {
        "reporter": reporter,
        "children": [],
        "others_involved": "Parents of the Saturday group",
        "occurred_at": disclosed_at - dt.timedelta(hours=1),
        "disclosed_at": disclosed_at,
        "incident_type": "data_breach",
        "what_happened": "A newsletter showed every parent's address.",
        "initial_risk": "medium",
    }
    fields.update(overrides)
    return services.incident_raise(**fields)


# --- no kind of risk for a breach


@pytest.mark.parametrize("category", ["", "commerce"])
def test_a_breach_is_raised_without_a_category(alice, child, client_for, category):
    response = client_for(alice).post("/incidents/new/", concern_post(child, category=category))
    incident = Incident.objects.get()
    assert response["Location"] == f"/incidents/{incident.pk}/raised/"
    assert incident.category == ""  # whatever was sent: a breach is none of the 4 Cs
    assert "Personal data breach. Initial risk" in incident.chronology.get().text


def test_any_other_concern_needs_its_kind_of_risk(alice, child, client_for):
    response = client_for(alice).post(
        "/incidents/new/", concern_post(child, incident_type="cyberbullying", category="")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["category"] == [CATEGORY_REQUIRED]
    assert 'id="id_category-error-1"' in response.content.decode()
    assert not Incident.objects.exists()


def test_the_service_keeps_the_same_rule(alice):
    now = timezone.now()
    assert breach(alice, now - dt.timedelta(hours=1), category="conduct").category == ""
    with pytest.raises(ValidationError) as refused:
        breach(alice, now - dt.timedelta(hours=1), incident_type="grooming", category="")
    assert refused.value.message_dict == {"category": [CATEGORY_REQUIRED]}


def test_the_form_says_to_leave_it_blank_for_a_breach(alice, client_for):
    page = client_for(alice).get("/incidents/new/").content.decode()
    assert "Leave blank for a personal data breach" in page
    # The type is asked first, so the category question can follow from it.
    assert page.index('name="incident_type"') < page.index('name="category"')


# --- the ICO decision


def test_not_reported_needs_its_reason(alice, dana, client_for):
    incident = breach(alice, timezone.now() - dt.timedelta(hours=1))
    page = client_for(dana).get(f"/incidents/{incident.pk}/ico/").content.decode()
    assert "Not reported because …" in page
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/ico/", {"decision": "not_reportable", "reason": " "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    incident.refresh_from_db()
    assert incident.ico_decision == ""


# --- the countdown banner


@pytest.fixture
def turn_clock(monkeypatch):
    def to(moment: dt.datetime) -> None:
        monkeypatch.setattr(ico, "clock", lambda: moment)

    return to


def test_the_banner_counts_down_then_says_how_late(alice, dana, client_for, turn_clock):
    disclosed = dt.datetime(2026, 1, 10, 9, 0, tzinfo=UTC)  # deadline 13 January, 09:00 GMT
    incident = breach(alice, disclosed)
    url = f"/incidents/{incident.pk}/"

    turn_clock(dt.datetime(2026, 1, 13, 6, 55, tzinfo=UTC))
    page = client_for(dana).get(url).content.decode()
    assert (
        "2 hours 5 minutes left to decide whether to report to the ICO (deadline 09:00 GMT on "
        "Tuesday 13 January 2026, Europe/London time)" in page
    )
    assert 'role="alert"' not in page
    assert 'aria-labelledby="ico-banner-title"' in page
    assert f"/incidents/{incident.pk}/ico/" in page

    turn_clock(dt.datetime(2026, 1, 13, 10, 1, tzinfo=UTC))
    page = client_for(dana).get(url).content.decode()
    assert "Overdue by 1 hour 1 minute" in page
    assert "left to decide" not in page
    assert 'role="alert"' in page

    services.ico_decision_record(incident=incident, by=dana, decision="reported", reference="ICO1")
    assert "data-ico-banner" not in client_for(dana).get(url).content.decode()


def test_the_deadline_is_in_the_organisations_time_with_its_zone_named(alice):
    incident = breach(alice, dt.datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # summer: BST
    countdown = ico.ico_countdown(incident, dt.datetime(2026, 7, 4, 7, 30, tzinfo=UTC))
    assert countdown is not None
    assert countdown.text == (
        "1 hour 0 minutes left to decide whether to report to the ICO "
        "(deadline 09:30 BST on Saturday 4 July 2026, Europe/London time)"
    )


def test_no_banner_for_any_other_concern(alice, dana, client_for):
    other = breach(
        alice, timezone.now() - dt.timedelta(hours=1), incident_type="phishing", category="commerce"
    )
    assert ico.ico_countdown(other, timezone.now()) is None
    assert "data-ico-banner" not in client_for(dana).get(f"/incidents/{other.pk}/").content.decode()


# --- the list's filter counts breaches as the dashboard does


def test_the_list_filters_breaches_apart_from_the_4_cs(alice, dana, client_for, organisation):
    from tests.factories import IncidentFactory

    new_breach = breach(alice, timezone.now() - dt.timedelta(hours=2))
    # Filed under "content" before a breach had its own kind: still a breach.
    old_breach = IncidentFactory(
        organisation=organisation, reporter=alice, category="content", incident_type="data_breach"
    )
    content = IncidentFactory(
        organisation=organisation, reporter=alice, category="content", incident_type="other"
    )
    client = client_for(dana)
    breaches = client.get("/incidents/", {"category": "data_breach"}).content.decode()
    contents = client.get("/incidents/", {"category": "content"}).content.decode()
    assert new_breach.reference in breaches
    assert old_breach.reference in breaches
    assert content.reference not in breaches
    assert content.reference in contents
    assert old_breach.reference not in contents
