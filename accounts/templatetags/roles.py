"""A role as the organisation names its lead: ``{{ member.role|role_named:titles }}``."""

from django import template

from accounts.models import LeadTitles

register = template.Library()


@register.filter
def role_named(role: str, titles: LeadTitles) -> str:
    return titles.role(role)
