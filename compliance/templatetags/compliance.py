import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from compliance.services import Due

register = template.Library()

_TAGS = {
    "overdue": ("govuk-tag--red", "Overdue"),
    "due soon": ("govuk-tag--yellow", "Due soon"),
    "current": ("govuk-tag--green", "Current"),
    "missing": ("govuk-tag--grey", "Not recorded"),
}


@register.simple_tag
def due_status(due: Due, today: dt.date) -> SafeString:
    css, label = _TAGS[due.status(today)]
    when = f" {due.on:%-d %b %Y}" if due.on else ""
    return format_html(
        '<strong class="govuk-tag {}">{}</strong><span class="govuk-body-s"> {}{}</span>',
        css,
        label,
        "due" if due.on else "",
        when,
    )
