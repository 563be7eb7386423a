"""Sections other apps add to a child's page (consent, contacts, incidents).

The core knows no app: each app registers a function that returns the HTML of
its section for a child and the person looking, or None to show nothing.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from children.models import Child
from common.registry import CHILD_PAGE_SECTIONS

Section = Callable[[HttpRequest, Child], SafeString | None]


def render(request: HttpRequest, child: Child) -> list[SafeString]:
    """Each app's section (from its child_page.py), in the order the apps are installed."""
    return [html for section in CHILD_PAGE_SECTIONS.items() if (html := section(request, child))]
