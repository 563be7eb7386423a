"""The parent's manage page: their children's acceptable-use agreements still to
read together. A tag of its own, so the manage view needs no change for it."""

from typing import Any

from django import template

from children.models import Guardian
from consent.agreement_views import children_with_agreements_due

register = template.Library()


@register.inclusion_tag("consent/manage_child_agreements.html")
def child_agreements_due(guardian: Guardian) -> dict[str, Any]:
    return {"due": children_with_agreements_due(guardian)}
