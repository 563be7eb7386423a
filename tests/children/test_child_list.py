"""The children list: every child is reachable page by page, filters only narrow
what the user may see, and no query string is an error page."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from children import services as caseload
from tests.auth import force_verified_login
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    force_verified_login(client, user)
    return client


def names_on(page: str) -> set[str]:
    return set(re.findall(r'href="/children/\d+/">([^<]+)</a>', page))


@pytest.fixture
def hundred_and_one(organisation):
    # Zero-padded so the list's alphabetical order is the numbering.
    return [
        ChildFactory(organisation=organisation, first_name="Child", last_name=f"N{n:03d}")
        for n in range(1, 102)
    ]


def test_the_101st_child_is_on_page_two_not_lost(dana, hundred_and_one) -> None:
    as_dana = client_for(dana)
    first = as_dana.get("/children/").content.decode()
    second = as_dana.get("/children/?page=2").content.decode()
    assert len(names_on(first)) == 100
    assert "Child N101" not in names_on(first)
    assert names_on(second) == {"Child N101"}
    assert "101 children" in first
    assert 'rel="next"' in first
    assert 'aria-label="Pagination"' in first
    assert 'rel="prev"' in second


def test_paging_keeps_the_search(dana, hundred_and_one) -> None:
    page = client_for(dana).get("/children/?q=Child&status=all").content.decode()
    assert 'href="?q=Child&amp;status=all&amp;page=2" rel="next"' in page


def test_a_filter_narrows_the_list(dana, bob, alice, organisation) -> None:
    ada = ChildFactory(organisation=organisation, first_name="Ada", last_name="Tester")
    ChildFactory(organisation=organisation, first_name="Ben", last_name="Tester")
    caseload.allocation_start(child=ada, staff=alice, starts_on=timezone.localdate(), by=bob)
    as_dana = client_for(dana)
    assert names_on(as_dana.get("/children/?q=ada").content.decode()) == {"Ada Tester"}
    assert names_on(as_dana.get(f"/children/?staff={alice.pk}").content.decode()) == {"Ada Tester"}
    assert names_on(as_dana.get("/children/?staff=none").content.decode()) == {"Ben Tester"}


def test_a_discharged_child_is_shown_only_when_asked_for(dana, organisation) -> None:
    ChildFactory(organisation=organisation, first_name="Ada", last_name="Tester")
    ChildFactory(
        organisation=organisation,
        first_name="Dee",
        last_name="Gone",
        discharged_on=timezone.localdate(),
    )
    as_dana = client_for(dana)
    assert names_on(as_dana.get("/children/").content.decode()) == {"Ada Tester"}
    assert names_on(as_dana.get("/children/?status=discharged").content.decode()) == {"Dee Gone"}
    assert names_on(as_dana.get("/children/?status=all").content.decode()) == {
        "Ada Tester",
        "Dee Gone",
    }


def test_filtering_never_shows_a_child_outside_the_users_allocation(
    alice, bob, dana, organisation, other_organisation
) -> None:
    ada = ChildFactory(organisation=organisation, first_name="Ada", last_name="Tester")
    ben = ChildFactory(organisation=organisation, first_name="Ben", last_name="Tester")
    ChildFactory(organisation=other_organisation, first_name="Birchy", last_name="Tester")
    caseload.allocation_start(child=ada, staff=alice, starts_on=timezone.localdate(), by=bob)
    caseload.allocation_start(child=ben, staff=dana, starts_on=timezone.localdate(), by=bob)
    as_alice = client_for(alice)
    for query in (
        "q=Tester",
        "status=all",
        f"staff={dana.pk}",
        "staff=none",
        f"staff={dana.pk}&status=all&q=Ben",
        "page=2",
    ):
        shown = names_on(as_alice.get(f"/children/?{query}").content.decode())
        assert shown <= {"Ada Tester"}, query
    assert names_on(as_alice.get("/children/?q=Tester").content.decode()) == {"Ada Tester"}


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=" + "9" * 40,
        "page=1e5",
        "page=%00",
        "page=2&page=x",
        "page=3",
    ],
)
def test_a_nonsense_page_number_is_not_an_error(dana, hundred_and_one, query) -> None:
    response = client_for(dana).get(f"/children/?{query}")
    assert response.status_code == 200
    assert len(names_on(response.content.decode())) == 100  # the first page


@pytest.mark.parametrize("query", ["status=nonsense", "staff=%00", "staff=" + "9" * 40, "q=%00"])
def test_a_nonsense_filter_is_not_an_error(dana, hundred_and_one, query) -> None:
    response = client_for(dana).get(f"/children/?{query}")
    assert response.status_code == 200
