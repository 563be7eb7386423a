import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from compliance.services import Due, StaffCompliance

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


@register.simple_tag
def dbs_status(row: StaffCompliance, today: dt.date) -> SafeString:
    """The DBS check's due date, and a check below the level online work needs
    flagged in red beside it, as plainly as a lapsed one: a "Current" Standard
    check must not read as fine for online work."""
    if not row.dbs_shortfall:
        return due_status(row.dbs, today)
    below = format_html(
        '<strong class="govuk-tag govuk-tag--red">Below required level</strong>'
        '<span class="govuk-body-s" data-dbs-shortfall> {}</span>',
        row.dbs_shortfall,
    )
    if row.dbs_lapsed(today):
        return format_html("{}<br>{}", due_status(row.dbs, today), below)
    when = f"; re-check due {row.dbs.on:%-d %b %Y}" if row.dbs.on else ""
    return format_html('{}<span class="govuk-body-s">{}</span>', below, when)
