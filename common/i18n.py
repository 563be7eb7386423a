"""Which language a page is in, and the organisation's own words in it.

Staff pages follow the language chosen with Django's ``set_language`` (its
cookie), else English. Parents' pages follow the parent's choice, else their
organisation's default (``Organisation.parent_language``): a family in Wales
that never touched the switch sees what their service chose for them.

Words an organisation writes itself (a consent's name and explanation, a
policy's text) have a Welsh column beside the English one; ``in_language``
picks the one the parent is shown, falling back to English where the
organisation wrote no Welsh, and the evidence hash covers exactly that text.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

ENGLISH = "en-gb"
WELSH = "cy"
CODES = frozenset(code for code, _ in settings.LANGUAGES)


def chosen(request: HttpRequest) -> str | None:
    """The language this browser chose with the switch, if any."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in CODES else None


class LanguageMiddleware:
    """Not Django's LocaleMiddleware: that one follows the browser's
    Accept-Language, so a parent's page would ignore the organisation's choice
    and staff pages would change under someone who never asked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = chosen(request) or settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


def parent_language(request: HttpRequest, default: str) -> str:
    """Activate a parent's page language: their choice, else the organisation's."""
    code = chosen(request) or (default if default in CODES else settings.LANGUAGE_CODE)
    translation.activate(code)
    request.LANGUAGE_CODE = code
    return code


def is_welsh(code: str | None = None) -> bool:
    return (code or translation.get_language() or "").startswith(WELSH)


def in_language(obj: Any, field: str, code: str | None = None) -> str:
    """``obj.<field>_cy`` when the language is Welsh and the organisation wrote
    it, else ``obj.<field>``."""
    if is_welsh(code):
        welsh = getattr(obj, f"{field}_cy", "")
        if welsh:
            return str(welsh)
    return str(getattr(obj, field))
