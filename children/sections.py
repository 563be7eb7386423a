"""Sections other apps add to a child's page (consent, contacts, incidents).

The core knows no app: each app registers a function that returns the HTML of
its section for a child and the person looking, or None to show nothing.
"""

from collections.abc import Callable

from django.utils.safestring import SafeString

from accounts.http import AuthedRequest
from children.models import Child

Section = Callable[[AuthedRequest, Child], SafeString | None]
_sections: list[Section] = []


def register(section: Section) -> Section:
    if section not in _sections:
        _sections.append(section)
    return section


def render(request: AuthedRequest, child: Child) -> list[SafeString]:
    return [html for section in _sections if (html := section(request, child))]
