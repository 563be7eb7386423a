"""Lists page with Django's Paginator: nothing past a fixed count is lost, any
page number is a page, and paging keeps the search."""

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from common.pagination import page_of
from notices.models import Notice, ReminderLedger
from tests.auth import force_verified_login


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("", 1),
        ("2", 2),
        ("3", 3),
        ("4", 1),
        ("0", 1),
        ("-1", 1),
        ("x", 1),
        ("1.5", 1),
        ("9" * 5000, 1),
    ],
)
def test_any_page_number_is_a_page(asked: str, shown: int) -> None:
    request = RequestFactory().get("/", {"page": asked})
    page = page_of(request, list(range(120)))
    assert page.number == shown
    assert page.paginator.num_pages == 3


def _render(query: dict, number: int, of: int) -> str:
    request = RequestFactory().get("/incidents/", query)
    page = page_of(request, list(range(of * 10)), per_page=10)
    template = Template('{% include "components/pagination.html" with page=page %}')
    return template.render(Context({"page": page, "request": request}))


def test_the_pagination_links_keep_the_query_and_mark_the_current_page() -> None:
    html = _render({"risk": "high", "page": "2"}, 2, of=3)
    assert '<nav class="govuk-pagination" aria-label="Pagination">' in html
    assert 'href="?risk=high&amp;page=1" rel="prev"' in html
    assert 'href="?risk=high&amp;page=3" rel="next"' in html
    assert 'aria-label="Page 2" aria-current="page"' in html


def test_a_single_page_has_no_pagination() -> None:
    assert "govuk-pagination" not in _render({}, 1, of=1)


def test_far_pages_are_elided_but_the_last_is_reachable() -> None:
    html = _render({"page": "1"}, 1, of=40)
    assert 'aria-label="Page 40"' in html
    assert 'aria-label="Page 20"' not in html
    assert "govuk-pagination__item--ellipses" in html


@pytest.mark.django_db
def test_every_notice_is_reachable_past_the_two_hundredth(dana) -> None:
    now = timezone.now()
    ledgers = ReminderLedger.objects.bulk_create(
        ReminderLedger(
            organisation=dana.organisation,
            kind="test",
            object_type="thing",
            object_id=str(n),
            stage="due",
            due_on=now.date(),
            due_at=now,
        )
        for n in range(201)
    )
    Notice.objects.bulk_create(
        Notice(
            ledger=ledger,
            recipient=dana,
            organisation=dana.organisation,
            title=f"Reminder {n:03d}",
            url="/",
            due_at=now,
            created_at=now - dt.timedelta(minutes=n),
        )
        for n, ledger in enumerate(ledgers)
    )
    client = Client()
    force_verified_login(client, dana)
    titles = []
    for number in range(1, 6):
        page = client.get(f"/notices/?page={number}").content.decode()
        titles += re.findall(r"Reminder \d{3}", page)
    assert titles == [f"Reminder {n:03d}" for n in range(201)]  # newest first, none lost
