"""Links to other pages of a list that keep its search and filters."""

from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    query = context["request"].GET.copy()
    query["page"] = str(number)
    return f"?{query.urlencode()}"


@register.simple_tag
def page_numbers(page: Page) -> list[int | str]:
    """The first and last pages, and those either side of this one; the rest
    as an ellipsis (Paginator.ELLIPSIS)."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
