"""The ICO countdown for templates/incidents/_ico_banner.html."""

from django import template

from incidents import ico
from incidents.models import Incident

register = template.Library()


@register.simple_tag
def ico_countdown(incident: Incident) -> ico.IcoCountdown | None:
    return ico.ico_countdown(incident, ico.clock())
