"""Flags on a child (a plan, child in need, looked after, SEND): the leads add
and end them; whoever may open the child sees the current ones."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from children import services as caseload
from children.models import ChildFlag, FlagKind
from incidents import services as incident_services
from incidents.timeline import child_timeline
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def add_flag(child, by, kind=FlagKind.CHILD_PROTECTION_PLAN, started=30, note=""):
    return caseload.child_flag_add(
        child=child, by=by, kind=kind, started_on=days_ago(started), note=note
    )


def test_a_lead_adds_a_flag_and_everyone_on_the_child_sees_it(dana, alice, child, client_for):
    response = client_for(dana).post(
        f"/children/{child.pk}/flags/add/",
        {"kind": "cp_plan", "started_on": days_ago(30).isoformat(), "note": "LA ref 123"},
    )
    assert response.status_code == 302
    flag = ChildFlag.objects.get(child=child)
    assert (flag.kind, flag.started_on, flag.recorded_by, flag.ended_on) == (
        "cp_plan",
        days_ago(30),
        dana,
        None,
    )
    assert AuditEvent.objects.filter(action="child_flag.added", actor=dana).count() == 1

    lead_page = client_for(dana).get(f"/children/{child.pk}/").content.decode()
    since = f"since {days_ago(30):%-d %b %Y}"
    assert "Child protection plan" in lead_page.split("data-flags")[1]
    assert since in lead_page
    assert "data-flag-history" in lead_page
    assert "LA ref 123" in lead_page

    staff_page = client_for(alice).get(f"/children/{child.pk}/").content.decode()
    assert "Child protection plan" in staff_page
    assert since in staff_page
    assert "data-flag-history" not in staff_page
    assert "LA ref 123" not in staff_page
    assert f"/children/{child.pk}/flags/add/" not in staff_page


def test_no_second_current_flag_of_the_same_kind(dana, child, client_for):
    add_flag(child, dana)
    response = client_for(dana).post(
        f"/children/{child.pk}/flags/add/",
        {"kind": "cp_plan", "started_on": days_ago(1).isoformat()},
    )
    assert response.status_code == 200
    assert "already has a current Child protection plan flag" in str(
        response.context["form"].errors["kind"]
    )
    assert ChildFlag.objects.filter(child=child).count() == 1
    # Another kind is fine, and so is the same kind again once the first has ended.
    add_flag(child, dana, kind=FlagKind.SEND)
    caseload.child_flag_end(
        flag=ChildFlag.objects.get(kind="cp_plan"), by=dana, ended_on=days_ago(2)
    )
    add_flag(child, dana, started=1)
    assert ChildFlag.objects.current().filter(child=child).count() == 2


def test_a_lead_ends_a_flag_and_its_history_stays(dana, alice, child, client_for):
    flag = add_flag(child, dana)
    response = client_for(dana).post(
        f"/child-flags/{flag.pk}/end/", {"ended_on": days_ago(5).isoformat()}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.ended_on, flag.ended_by) == (days_ago(5), dana)
    assert flag.history.count() == 2
    assert AuditEvent.objects.filter(action="child_flag.ended", actor=dana).count() == 1

    lead_page = client_for(dana).get(f"/children/{child.pk}/").content.decode()
    history = lead_page.split("data-flag-history")[1]
    assert f"{days_ago(30):%-d %b %Y}" in history
    assert f"{days_ago(5):%-d %b %Y}" in history
    staff_page = client_for(alice).get(f"/children/{child.pk}/").content.decode()
    assert "Child protection plan" not in staff_page


def test_a_flag_cannot_end_before_it_started(dana, child, client_for):
    flag = add_flag(child, dana, started=3)
    response = client_for(dana).post(
        f"/child-flags/{flag.pk}/end/", {"ended_on": days_ago(10).isoformat()}
    )
    assert response.status_code == 200
    assert "cannot be before it started" in str(response.context["form"].errors["ended_on"])
    flag.refresh_from_db()
    assert flag.ended_on is None


def test_a_flag_ends_once(dana, child, client_for):
    flag = add_flag(child, dana)
    caseload.child_flag_end(flag=flag, by=dana, ended_on=days_ago(1))
    response = client_for(dana).post(
        f"/child-flags/{flag.pk}/end/", {"ended_on": days_ago(0).isoformat()}
    )
    assert response.status_code == 200
    assert "already ended" in str(response.context["form"].errors["ended_on"])


def test_only_leads_add_or_end_flags(dana, alice, bob, deputy, child, client_for):
    flag = add_flag(child, dana)
    for person in (alice, bob):
        client = client_for(person)
        assert client.get(f"/children/{child.pk}/flags/add/").status_code == 403
        assert (
            client.post(f"/child-flags/{flag.pk}/end/", {"ended_on": days_ago(0)}).status_code
            == 403
        )
    assert client_for(deputy).get(f"/children/{child.pk}/flags/add/").status_code == 200
    flag.refresh_from_db()
    assert flag.ended_on is None


def test_another_organisation_gets_404(dana, charlie, child, client_for, other_organisation):
    flag = add_flag(child, dana)
    from tests.factories import UserFactory

    other_dsl = UserFactory(organisation=other_organisation, role="dsl")
    for person in (charlie, other_dsl):
        client = client_for(person)
        assert client.get(f"/children/{child.pk}/flags/add/").status_code == 404
        assert client.get(f"/child-flags/{flag.pk}/end/").status_code == 404
        assert (
            client.post(f"/child-flags/{flag.pk}/end/", {"ended_on": days_ago(0)}).status_code
            == 404
        )
    flag.refresh_from_db()
    assert flag.ended_on is None


def test_a_staff_member_without_the_child_gets_404(dana, organisation, child, client_for):
    from tests.factories import UserFactory

    stranger = UserFactory(organisation=organisation)
    flag = add_flag(child, dana)
    assert client_for(stranger).get(f"/child-flags/{flag.pk}/end/").status_code == 404
    assert client_for(stranger).get(f"/children/{child.pk}/flags/add/").status_code == 404


def test_flags_sit_beside_the_child_on_the_incident_page(dana, alice, child, client_for):
    add_flag(child, dana, kind=FlagKind.LOOKED_AFTER)
    incident = incident_services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        disclosed_at=timezone.now() - dt.timedelta(hours=1),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="high",
    )
    html = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    reported = html.split("The concern as reported")[1].split("What needs doing")[0]
    assert "Noor Hassan" in reported
    assert "Looked after child" in reported.split("Noor Hassan")[1]


def test_flags_are_in_the_childs_chronology(dana, child):
    flag = add_flag(child, dana, started=20)
    caseload.child_flag_end(flag=flag, by=dana, ended_on=days_ago(3))
    texts = [item.text for item in child_timeline(child)]
    assert "Flag: Child protection plan started" in texts
    assert "Flag: Child protection plan ended" in texts
    assert texts.index("Flag: Child protection plan started") < texts.index(
        "Flag: Child protection plan ended"
    )


def test_leads_see_who_opened_the_childs_record(dana, deputy, alice, child, client_for):
    client_for(alice).get(f"/children/{child.pk}/")
    client_for(alice).get(f"/children/{child.pk}/")
    client_for(deputy).get(f"/children/{child.pk}/")

    response = client_for(dana).get(f"/children/{child.pk}/")

    openers = {opener.name: opener.times for opener in response.context["openers"]}
    assert openers == {alice.full_name: 2, deputy.full_name: 1, dana.full_name: 1}
    assert "data-openers" in response.content.decode()
    staff = client_for(alice).get(f"/children/{child.pk}/")
    assert "data-openers" not in staff.content.decode()
    assert staff.context["openers"] == []
