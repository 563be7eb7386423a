"""``{% delivery obj %}``: what became of the latest email about ``obj``."""

from typing import Any

from django import template
from django.db import models

from outbox.composers import composer_for
from outbox.services import latest_message

register = template.Library()


@register.inclusion_tag("outbox/delivery.html", takes_context=True)
def delivery(context: template.Context, purpose: models.Model) -> dict[str, Any]:
    message = latest_message(purpose)
    user = context["request"].user
    may_resend = False
    if message is not None and message.awaiting_resend:
        composer = composer_for(message.kind)
        may_resend = (
            composer is not None
            and composer.still_wanted(purpose)
            and composer.may_resend(user, purpose)
        )
    return {"message": message, "may_resend": may_resend, "csrf_token": context.get("csrf_token")}
