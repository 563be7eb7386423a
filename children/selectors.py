"""Reads about children that other apps' pages share."""

from collections.abc import Iterable

from django.db.models import Prefetch

from accounts.models import User
from children.models import Child, ChildFlag
from children.permissions import children_visible_to


def current_flags() -> Prefetch:
    """Each child's current flags, as ``child.current_flags``."""
    return Prefetch(
        "flags",
        queryset=ChildFlag.objects.current().order_by("kind", "pk"),
        to_attr="current_flags",
    )


def with_flags_for(user: User, children: Iterable[Child]) -> list[Child]:
    """``children`` with ``current_flags`` set: the child's current flags where
    ``user`` may open the child's page, none where they may not."""
    children = list(children)
    ids = [child.pk for child in children]
    flagged = {
        child.pk: child.current_flags  # type: ignore[attr-defined]  # set by the Prefetch
        for child in children_visible_to(user).filter(pk__in=ids).prefetch_related(current_flags())
    }
    for child in children:
        child.current_flags = flagged.get(child.pk, [])  # type: ignore[attr-defined]  # read by templates
    return children
