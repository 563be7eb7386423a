from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from accounts.directory import IMMEDIATE_DANGER, who_to_tell
from accounts.models import Organisation

register = template.Library()


@register.simple_tag
def who_to_tell_block(organisation: Organisation | None, heading_level: int = 2) -> SafeString:
    """The directory for a page (components/who_to_tell.html); with no
    organisation known (a link that no longer works), the 999 line alone."""
    directory = who_to_tell(organisation) if organisation is not None else None
    return SafeString(
        render_to_string(
            "components/who_to_tell.html",
            {
                "directory": directory,
                "immediate_danger": gettext(IMMEDIATE_DANGER),
                "heading_level": heading_level,
            },
        )
    )


@register.simple_tag
def who_to_tell_text(organisation: Organisation) -> str:
    """The directory for the foot of a plain-text email."""
    return render_to_string(
        "components/who_to_tell.txt", {"directory": who_to_tell(organisation)}
    ).strip()
