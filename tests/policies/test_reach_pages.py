"""Who a policy binds, edited after it is written; editorial and substantive
versions; what changed between versions; the demo's policies."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from policies import reach, reminders, services
from policies.demo import seed_policies
from policies.models import Acknowledgement, ChangeKind, Policy, PolicyVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = timezone.localdate


def approved(organisation, by, title: str, body: str, days_ago: int = 40, **kwargs) -> Policy:
    draft = services.policy_create(
        organisation=organisation,
        by=by,
        title=title,
        category=kwargs.pop("category", "online_safety"),
        body=body,
        **kwargs,
    )
    services.version_approve(
        draft=draft,
        by=by,
        approved_on=TODAY() - dt.timedelta(days=days_ago),
        approved_by_name="The trustees",
    )
    return Policy.objects.get(pk=draft.policy_id)


def new_version(policy: Policy, by, body: str, kind: str, days_ago: int = 0) -> PolicyVersion:
    draft = services.draft_start(policy=policy, by=by)
    services.draft_update(draft=draft, by=by, body=body, change_summary="", change_kind=kind)
    return services.version_approve(
        draft=draft,
        by=by,
        approved_on=TODAY() - dt.timedelta(days=days_ago),
        approved_by_name="The trustees",
    )


def reminded(organisation, day: dt.date) -> set[str]:
    now = dt.datetime.combine(day, dt.time(9), tzinfo=LONDON)
    return {
        recipient.email
        for item in reminders.unread(organisation=organisation, now=now)
        for recipient in item.recipients
    }


# --- the policy's details ------------------------------------------------------------------


def test_details_are_changed_on_their_own_page_with_every_change_audited(
    organisation, bob, dana, alice, client_for
) -> None:
    policy = approved(organisation, bob, "Online Safety Policy", "Text", audience_roles=["staff"])
    other = approved(organisation, bob, "Acceptable Use Agreement", "Be kind online.")
    response = client_for(bob).post(
        f"/policies/{policy.pk}/details/",
        {
            "category": "acceptable_use",
            "owner": dana.pk,
            "review_interval_months": "24",
            "audience_roles": ["staff", "dsl"],
            "audience_parents": "on",
            "audience_children": "on",
            "children_age_from": "8",
            "children_age_to": "12",
            "related": [other.pk],
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.category, policy.owner, policy.review_interval_months) == (
        "acceptable_use",
        dana,
        24,
    )
    assert sorted(policy.audience_roles) == ["dsl", "staff"]
    assert policy.audience_parents
    assert policy.audience_children
    assert (policy.children_age_from, policy.children_age_to) == (8, 12)
    # Related both ways.
    assert list(other.related.all()) == [policy]
    event = AuditEvent.objects.get(action="policy.settings_changed")
    changed = event.details["changed"]
    assert changed["category"] == {"from": "online_safety", "to": "acceptable_use"}
    assert changed["owner"] == {"from": None, "to": {"id": dana.pk, "name": "Dana Douglas"}}
    assert changed["audience_roles"] == {"from": ["staff"], "to": ["dsl", "staff"]}
    assert changed["related"] == {"from": [], "to": ["Acceptable Use Agreement"]}
    assert set(changed) == {
        "category",
        "owner",
        "review_interval_months",
        "audience_roles",
        "audience_parents",
        "audience_children",
        "children_age_from",
        "children_age_to",
        "related",
    }
    # The title is not a setting: it is part of what each approval hashed.
    assert policy.title == "Online Safety Policy"

    page = client_for(alice).get(f"/policies/{policy.pk}/").content.decode()
    assert "Designated Safeguarding Lead" in page
    assert "Agree to it before services start" in page
    assert "aged 8 to 12" in page
    assert f'href="/policies/{other.pk}/"' in page
    assert "Dana Douglas" in page


def test_saving_the_same_details_again_records_nothing(organisation, bob, client_for) -> None:
    policy = approved(organisation, bob, "P", "Text", audience_roles=["staff"], owner=bob)
    form = {"category": "online_safety", "owner": bob.pk, "audience_roles": ["staff"]}
    assert client_for(bob).post(f"/policies/{policy.pk}/details/", form).status_code == 302
    assert not AuditEvent.objects.filter(action="policy.settings_changed").exists()


def test_bad_details_are_explained_next_to_the_field(
    organisation, other_organisation, bob, charlie, alice, client_for
) -> None:
    policy = approved(organisation, bob, "P", "Text")
    elsewhere = approved(other_organisation, charlie, "Birch's policy", "Text")
    former = UserFactory(organisation=organisation, is_active=False)
    as_bob = client_for(bob)
    url = f"/policies/{policy.pk}/details/"
    for data, message in [
        ({"audience_children": "on", "children_age_from": "12", "children_age_to": "8"}, "oldest"),
        ({"audience_children": "on", "children_age_from": "2"}, "greater than or equal to 3"),
        ({"children_age_to": "19", "audience_children": "on"}, "less than or equal to 18"),
        ({"owner": charlie.pk}, "Select a valid choice"),
        ({"owner": former.pk}, "Select a valid choice"),
        ({"related": [elsewhere.pk]}, "Select a valid choice"),
        ({"related": [policy.pk]}, "Select a valid choice"),
        ({"related": ["junk"]}, "is not a valid value"),
    ]:
        response = as_bob.post(url, {"category": "online_safety", **data})
        assert response.status_code == 200, data
        assert message in response.content.decode(), data
    assert not AuditEvent.objects.filter(action="policy.settings_changed").exists()
    assert client_for(alice).get(url).status_code == 403
    assert client_for(charlie).get(url).status_code == 404


# --- import --------------------------------------------------------------------------------


def test_an_imported_policy_is_asked_of_its_audience(
    organisation, bob, alice, dana, client_for
) -> None:
    as_bob = client_for(bob)
    page = as_bob.post(
        "/policies/import/",
        {
            "file": SimpleUploadedFile("mobiles.txt", b"Mobile Phones Policy\nPhones away.\n"),
            "category": "mobile_phones",
        },
    ).content.decode()
    # Those who work with children are proposed; the importer owns it.
    assert 'value="staff" checked' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    approved_on = TODAY() - dt.timedelta(days=30)
    response = as_bob.post(
        "/policies/import/",
        {
            "token": token,
            "title": "Mobile Phones Policy",
            "category": "mobile_phones",
            "owner": dana.pk,
            "audience_roles": ["staff"],
            "label": "v1",
            "approved_on": approved_on.isoformat(),
            "review_due": (approved_on + dt.timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert (policy.owner, policy.audience_roles, policy.category) == (
        dana,
        ["staff"],
        "mobile_phones",
    )
    assert "Mobile Phones Policy (v1)" in client_for(alice).get("/policies/").content.decode()
    assert "Policies to read" not in client_for(dana).get("/policies/").content.decode()
    assert reminded(organisation, approved_on + dt.timedelta(days=14)) == {alice.email}


# --- editorial and substantive versions ----------------------------------------------------


def test_an_editorial_change_keeps_earlier_reading_and_a_substantive_one_asks_again(
    organisation, bob, alice, dana, client_for
) -> None:
    policy = approved(
        organisation,
        bob,
        "Online Safety Policy",
        "Call 01632 960 000.",
        days_ago=60,
        audience_roles=["staff", "dsl"],
    )
    v1 = policy.versions.get()
    services.acknowledge(version=v1, user=alice)
    as_alice = client_for(alice)

    # The draft page offers the choice, and approval records it.
    draft = services.draft_start(policy=policy, by=bob)
    form = client_for(bob).get(f"/policies/versions/{draft.pk}/edit/").content.decode()
    assert 'type="radio" value="editorial"' in form
    assert "earlier reading still counts" in form
    client_for(bob).post(
        f"/policies/versions/{draft.pk}/edit/",
        {"body": "Call 01632 960 001.", "change_summary": "New number", "change_kind": "editorial"},
    )
    v2 = services.version_approve(
        draft=PolicyVersion.objects.get(pk=draft.pk),
        by=bob,
        approved_on=TODAY() - dt.timedelta(days=30),
        approved_by_name="H",
    )
    assert v2.change_kind == ChangeKind.EDITORIAL
    assert AuditEvent.objects.filter(action="policy.approved").last().details["change_kind"] == (
        "editorial"
    )

    assert "Policies to read" not in as_alice.get("/policies/").content.decode()
    detail = as_alice.get(f"/policies/{policy.pk}/").content.decode()
    assert "You have read v1" in detail
    assert "I have read and understood" not in detail
    coverage = client_for(bob).get(f"/policies/{policy.pk}/coverage/").content.decode()
    assert "1 of 2 have acknowledged" in coverage
    # Dana never read v1: she is reminded, on v1's clock; Alice is not.
    assert reminded(organisation, TODAY()) == {dana.email}

    # Acknowledging while the editorial version is current records that version.
    client_for(dana).post(f"/policies/versions/{v2.pk}/acknowledge/")
    assert Acknowledgement.objects.get(user=dana).version == v2
    assert reminded(organisation, TODAY()) == set()

    v3 = new_version(policy, bob, "Everything is different now.", ChangeKind.SUBSTANTIVE)
    assert "Online Safety Policy (v3)" in as_alice.get("/policies/").content.decode()
    assert [b.current for b in reach.staff_unread(alice)] == [v3]
    assert reminded(organisation, TODAY() + dt.timedelta(days=14)) == {alice.email, dana.email}


def test_a_draft_without_a_kind_of_change_is_explained(organisation, bob, client_for) -> None:
    policy = approved(organisation, bob, "P", "Text")
    draft = services.draft_start(policy=policy, by=bob)
    response = client_for(bob).post(
        f"/policies/versions/{draft.pk}/edit/", {"body": "New", "change_kind": "cosmetic"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


# --- what changed ------------------------------------------------------------------------


def test_approval_shows_what_changed_in_words_and_escaped(organisation, bob, client_for) -> None:
    policy = approved(organisation, bob, "P", "Keep\nOld line\nKeep too")
    draft = services.draft_start(policy=policy, by=bob)
    services.draft_update(
        draft=draft, by=bob, body="Keep\n<script>alert(1)</script>\nKeep too", change_summary=""
    )
    page = client_for(bob).get(f"/policies/versions/{draft.pk}/approve/").content.decode()
    assert "What changed since v1" in page
    assert re.search(r"<strong>Removed</strong>.*<del>Old line</del>", page, re.S)
    assert re.search(
        r"<strong>Added</strong>.*<ins>&lt;script&gt;alert\(1\)&lt;/script&gt;", page, re.S
    )
    assert "<script>alert(1)</script>" not in page


def test_any_two_versions_compare_and_only_this_policys(
    organisation, other_organisation, bob, alice, charlie, client_for
) -> None:
    policy = approved(organisation, bob, "P", "First text", days_ago=60)
    v1 = policy.versions.get()
    v2 = new_version(policy, bob, "Second text", ChangeKind.SUBSTANTIVE, days_ago=10)
    draft = services.draft_start(policy=policy, by=bob)
    another = approved(organisation, bob, "Q", "Another policy")
    birch = approved(other_organisation, charlie, "B", "Birch")
    as_alice = client_for(alice)
    url = f"/policies/{policy.pk}/compare/"

    page = as_alice.get(url, {"from": v1.pk, "to": v2.pk}).content.decode()
    assert "From v1 to v2" in page
    assert "<del>First text</del>" in page
    assert "<ins>Second text</ins>" in page
    # Unbound, it offers the two newest versions it may show.
    assert as_alice.get(url).status_code == 200
    assert f'href="{url}"' in as_alice.get(f"/policies/{policy.pk}/").content.decode()

    wrong = [another.versions.get().pk, birch.versions.get().pk, "junk", "", draft.pk, 10**12]
    for value in wrong:
        response = as_alice.get(url, {"from": v1.pk, "to": value})
        assert response.status_code == 200, value
        assert "Choose one of this policy" in response.content.decode() or (
            "This field is required" in response.content.decode()
        ), value
    # Those who write policies compare a draft too.
    page = client_for(bob).get(url, {"from": v2.pk, "to": draft.pk}).content.decode()
    assert "The text of v3 is the same as v2." in page
    assert client_for(charlie).get(url, {"from": v1.pk, "to": v2.pk}).status_code == 404


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_has_codes_of_conduct_and_childrens_agreements(
    organisation, bob, director, alice, dana
) -> None:
    seed_policies(organisation, bob, director)
    policies = {p.category: p for p in Policy.objects.filter(organisation=organisation)}
    assert {p.title for p in Policy.objects.filter(audience_parents=True)} == {
        "Online Safety Policy",
        "Code of conduct for parents and carers",
    }
    assert not Policy.objects.get(category="remote_sessions").audience_parents
    assert sorted(policies["conduct_staff"].audience_roles) == sorted(Role.values)
    agreements = Policy.objects.filter(category="acceptable_use", audience_children=True)
    assert {(p.children_age_from, p.children_age_to) for p in agreements} == {(8, 12), (13, 17)}
    younger = agreements.get(children_age_from=8)
    assert "I will tell a grown-up I trust if something online upsets me" in (
        younger.versions.get().body
    )
    assert policies["online_safety"] in younger.related.all()
    # The code of conduct's v2 was editorial: everyone's reading of v1 still counts.
    assert reach.conduct_unread(alice) == []
    assert reach.conduct_unread(dana) == []
    assert policies["conduct_staff"].versions.filter(change_kind="editorial").count() == 1
    seed_policies(organisation, bob, director)  # a second run adds nothing
    assert Policy.objects.count() == 7


def test_the_list_reads_what_is_unread_from_the_policies_it_loaded(
    organisation, alice, bob, client_for, django_assert_num_queries
) -> None:
    client = client_for(alice)

    def add_policies(n: int) -> None:
        for i in range(n):
            policy = approved(organisation, bob, f"Policy {i}", "Text", audience_roles=["staff"])
            new_version(policy, bob, "Typo fixed", ChangeKind.EDITORIAL)
            services.draft_start(policy=policy, by=bob)
        approved(organisation, bob, "For nobody on the staff", "Text", audience_roles=[])

    add_policies(2)
    loaded = list(Policy.objects.filter(organisation=organisation).prefetch_related("versions"))
    assert reach.staff_bindings_loaded(loaded) == reach.staff_bindings(organisation)
    client.get("/policies/")  # warm caches
    with CaptureQueriesContext(connection) as small:
        client.get("/policies/")
    add_policies(4)
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get("/policies/").content.decode()
    assert len(page.split("Policies to read")[1].split("</ul>")[0].split("<li>")) == 7
