"""An organisation's own words on parents' pages, in the page's language."""

from typing import Any

from django import template

from common.i18n import in_language

register = template.Library()


@register.filter(name="in_language")
def in_language_filter(obj: Any, field: str) -> str:
    """``{{ consent_type|in_language:"name" }}``: the Welsh column when the page is
    in Welsh and the organisation wrote it, else the English."""
    return in_language(obj, field)
