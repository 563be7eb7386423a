"""The children list's search and filters. The list always starts from the
children the user may see (children_visible_to), so a filter can only narrow it."""

import datetime as dt
import re

import django_filters
from django.db.models import Q
from django.http import QueryDict

from accounts.models import User
from children.models import Child, ChildQuerySet
from children.permissions import sees_all_children

STATUSES = (("active", "Active"), ("discharged", "Discharged"), ("all", "All"))


class ChildFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="by_name", label="Name")
    status = django_filters.ChoiceFilter(
        choices=STATUSES, method="by_status", label="Status", empty_label=None
    )
    staff = django_filters.CharFilter(method="by_allocation", label="Allocated to")

    class Meta:
        model = Child
        fields = ()

    def __init__(
        self, data: QueryDict, *, queryset: ChildQuerySet, user: User, today: dt.date
    ) -> None:
        data = data.copy()
        data.setdefault("status", "active")
        # Printable characters only: PostgreSQL refuses NUL, and nothing else is a name.
        data["q"] = "".join(ch for ch in data.get("q", "") if ch.isprintable()).strip()[:100]
        super().__init__(data, queryset=queryset)
        self.today = today
        if not sees_all_children(user):
            # Staff see their own caseload: there is no one else's to choose.
            del self.filters["staff"]

    def by_name(self, children: ChildQuerySet, name: str, value: str) -> ChildQuerySet:
        return children.filter(
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(preferred_name__icontains=value)
        )

    def by_status(self, children: ChildQuerySet, name: str, value: str) -> ChildQuerySet:
        if value == "active":
            return children.active(self.today)
        if value == "discharged":
            return children.discharged(self.today)
        return children

    def by_allocation(self, children: ChildQuerySet, name: str, value: str) -> ChildQuerySet:
        if value == "none":
            return children.unallocated()
        if re.fullmatch(r"[0-9]{1,18}", value):
            return children.allocated(staff_id=int(value))
        return children
