from django import template

from accounts.models import User
from allegations.permissions import sees_allegation_list

register = template.Library()


@register.simple_tag
def sees_allegations(user: User) -> bool:
    """For the navigation: the leads, and whoever manages a case."""
    return bool(user.is_authenticated) and sees_allegation_list(user)
