"""One page of a list: Django's Paginator, with the page number read forgivingly."""

from collections.abc import Sequence

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


def page_of(request: HttpRequest, items: QuerySet | Sequence, per_page: int = PER_PAGE) -> Page:
    """The page the query string asks for, or the first page when it asks for
    one that is not there (not a number, or past the end of a list that has
    since shrunk): a stale or mistyped link is never an error page. ``items``
    must be ordered, or rows could move between pages."""
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        return paginator.page(1)
