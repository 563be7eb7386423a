"""Before a child's record opens: the code of conduct for staff accepted, and
training in using Safeguard confirmed and current."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.induction import induction_due
from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from compliance.models import TrainingKind, TrainingRecord
from policies import services as policies
from policies.models import Acknowledgement, ChangeKind, PolicyCategory, PolicyVersion
from tests.factories import ChildFactory, UserFactory
from tests.incidents.test_incidents import raise_concern

pytestmark = pytest.mark.django_db


def conduct_policy(organisation, by, body="Be kind. Keep records.") -> PolicyVersion:
    draft = policies.policy_create(
        organisation=organisation,
        by=by,
        title="Code of conduct for staff",
        category=PolicyCategory.CONDUCT_STAFF,
        body=body,
    )
    return policies.version_approve(
        draft=draft, by=by, approved_on=timezone.localdate(), approved_by_name="Board"
    )


def new_version(version: PolicyVersion, by, kind: str) -> PolicyVersion:
    draft = policies.draft_start(policy=version.policy, by=by)
    policies.draft_update(
        draft=draft, by=by, body=draft.body + " More.", change_summary="x", change_kind=kind
    )
    return policies.version_approve(
        draft=draft, by=by, approved_on=timezone.localdate(), approved_by_name="Board"
    )


@pytest.fixture
def newcomer(organisation, bob):
    """A therapist who has just joined: allocated a child, not yet inducted."""
    return UserFactory(
        organisation=organisation, full_name="Nia Newcomer", email="nia@alder.test", inducted=False
    )


@pytest.fixture
def child(organisation, newcomer, bob):
    child = ChildFactory(organisation=organisation, first_name="Ada", last_name="Tester")
    caseload.allocation_start(child=child, staff=newcomer, starts_on=timezone.localdate(), by=bob)
    return child


def answers(version: PolicyVersion | None = None, on: dt.date | None = None, **extra) -> dict:
    data: dict[str, object] = dict(extra)
    if version is not None:
        data[f"accept_{version.pk}"] = "on"
    if on is not None:
        data["system_training"] = "on"
        data["system_training_on"] = on.isoformat()
    return data


def test_a_newcomer_is_sent_to_induction_instead_of_the_record(newcomer, child, bob, client_for):
    version = conduct_policy(newcomer.organisation, bob)
    browser = client_for(newcomer)
    url = f"/children/{child.pk}/"
    response = browser.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/induction/?next=%2Fchildren%2F{child.pk}%2F"
    assert not AuditEvent.objects.filter(action="child.viewed").exists()

    page = browser.get(response["Location"]).content.decode()
    assert "Before you open children's records" in page
    assert "I have read and accept the Code of conduct for staff (v1)" in page
    assert "Be kind. Keep records." in page
    assert "I have completed training in using Safeguard" in page

    done = browser.post("/induction/", answers(version, timezone.localdate(), next=url))
    assert done.status_code == 302
    assert done["Location"] == url
    assert browser.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="child.viewed", actor=newcomer).count() == 1
    assert Acknowledgement.objects.filter(user=newcomer, version=version).exists()
    training = TrainingRecord.objects.get(staff=newcomer, kind=TrainingKind.SYSTEM)
    assert (training.recorded_by, training.delivery) == (newcomer, "internal")
    assert AuditEvent.objects.filter(action="compliance.training_recorded", actor=newcomer).exists()
    assert AuditEvent.objects.filter(action="policy.acknowledged", actor=newcomer).exists()
    assert AuditEvent.objects.filter(
        action="compliance.induction_confirmed", actor=newcomer
    ).exists()


@pytest.fixture
def new_dsl(organisation):
    """A Designated Safeguarding Lead in their first week: sees every incident."""
    return UserFactory(
        organisation=organisation,
        full_name="Dee Newlead",
        email="dee@alder.test",
        role=Role.DSL,
        inducted=False,
    )


def test_every_page_of_a_childs_records_is_behind_the_gate(newcomer, new_dsl, child, client_for):
    incident = raise_concern(newcomer, [child])
    browser = client_for(new_dsl)
    for url in (
        f"/children/{child.pk}/",
        f"/children/{child.pk}/consent/request/",
        f"/children/{child.pk}/consent/summary.pdf",
        f"/incidents/{incident.pk}/",
        f"/incidents/{incident.pk}/entries/new/",
    ):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/induction/?next="), url
    # Raising a concern is never behind it: a worry cannot wait for paperwork.
    assert client_for(newcomer).get(f"/incidents/new/?child={child.pk}").status_code == 200


def test_what_happened_is_recorded_even_when_induction_fell_due_while_typing(
    newcomer, new_dsl, child, client_for
):
    """A code of conduct approved while the form was open does not lose the entry:
    only pages are gated, never a record being made."""
    incident = raise_concern(newcomer, [child])
    browser = client_for(new_dsl)
    response = browser.post(
        f"/incidents/{incident.pk}/entries/new/",
        {
            "kind": "note",
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "text": "Noor's mother rang to say the messages have stopped.",
        },
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("/induction/")
    assert incident.chronology.filter(text__startswith="Noor's mother rang").exists()
    # The next page they open asks them to catch up.
    assert browser.get(response["Location"])["Location"].startswith("/induction/")


def test_unticked_boxes_and_bad_dates_are_refused_beside_their_fields(
    newcomer, child, bob, client_for
):
    version = conduct_policy(newcomer.organisation, bob)
    browser = client_for(newcomer)
    page = browser.post("/induction/", {}).content.decode()
    assert "There is a problem" in page
    assert "Tick to confirm you accept the Code of conduct for staff (v1)." in page
    assert "Tick to confirm you have completed training in using Safeguard." in page
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page = browser.post("/induction/", answers(version, tomorrow)).content.decode()
    assert "The date cannot be in the future." in page
    long_ago = timezone.localdate() - relativedelta(years=3, days=1)
    page = browser.post("/induction/", answers(version, long_ago)).content.decode()
    assert "so this has expired" in page
    page = browser.post("/induction/", answers(version, None, system_training_on="nonsense"))
    assert page.status_code == 200
    assert not TrainingRecord.objects.filter(staff=newcomer, kind=TrainingKind.SYSTEM).exists()
    assert not Acknowledgement.objects.filter(user=newcomer).exists()


def test_a_substantive_new_version_asks_again_an_editorial_one_does_not(
    alice, organisation, bob, client_for
):
    version = conduct_policy(organisation, bob)
    child = ChildFactory(organisation=organisation)
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=bob)
    browser = client_for(alice)
    url = f"/children/{child.pk}/"
    assert browser.get(url).status_code == 302
    browser.post("/induction/", answers(version))
    assert browser.get(url).status_code == 200

    new_version(version, bob, ChangeKind.EDITORIAL)
    assert browser.get(url).status_code == 200

    v3 = new_version(version, bob, ChangeKind.SUBSTANTIVE)
    response = browser.get(url)
    assert response.status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert f"I have read and accept the Code of conduct for staff ({v3.label})" in page
    # Training is current: not asked for again.
    assert "I have completed training in using Safeguard" not in page
    browser.post("/induction/", answers(v3))
    assert browser.get(url).status_code == 200


def test_expired_system_training_asks_again(alice, organisation, bob, client_for):
    child = ChildFactory(organisation=organisation)
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=bob)
    browser = client_for(alice)
    url = f"/children/{child.pk}/"
    assert browser.get(url).status_code == 200
    TrainingRecord.objects.filter(staff=alice).update(
        completed_on=timezone.localdate() - relativedelta(months=36)
    )
    assert browser.get(url).status_code == 302
    browser.post("/induction/", answers(on=timezone.localdate() - dt.timedelta(days=3)))
    assert browser.get(url).status_code == 200


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/steal", "//evil.example/", "http://testserver.evil/", "javascript:x"],
)
def test_next_to_another_site_is_ignored(newcomer, client_for, target):
    browser = client_for(newcomer)
    response = browser.post("/induction/", answers(on=timezone.localdate(), next=target))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_gate_costs_few_queries(alice, organisation, bob):
    for _ in range(2):
        policies.acknowledge(version=conduct_policy(organisation, bob), user=alice)
    with CaptureQueriesContext(connection) as queries:
        assert not induction_due(alice)
    # The training, the codes of conduct, their versions, what was read.
    assert len(queries) <= 4
