"""The lead's incident list filters. The list starts from incidents_visible_to,
so a filter can only narrow what the user may already see."""

import datetime as dt
from typing import cast

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from incidents.forms import NamedErrorsForm
from incidents.models import Category, Incident, IncidentQuerySet, Risk

AGES = (("7", "In the last 7 days"), ("30", "7 to 30 days ago"), ("old", "Over 30 days ago"))


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        empty_label="All open",
        choices=(
            ("new", "New"),
            ("triaged", "Triaged"),
            ("action", "Action under way"),
            ("referred", "Referred"),
            ("closed", "Closed"),
        ),
    )
    category = django_filters.ChoiceFilter(
        label="Kind of risk", empty_label="All", choices=Category.choices
    )
    risk = django_filters.ChoiceFilter(label="Risk", empty_label="All", choices=Risk.choices)
    age = django_filters.ChoiceFilter(
        label="Reported", empty_label="Any time", choices=AGES, method="reported"
    )

    class Meta:
        form = NamedErrorsForm
        fields = ()

    def filter_queryset(self, queryset: QuerySet[Incident]) -> QuerySet[Incident]:
        if not self.form.cleaned_data.get("status"):
            # Closed incidents only when asked for; the base is always an IncidentQuerySet.
            queryset = cast(IncidentQuerySet, queryset).open()
        return super().filter_queryset(queryset)

    def reported(self, incidents: IncidentQuerySet, name: str, value: str) -> IncidentQuerySet:
        now = timezone.now()
        week, month = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
        if value == "7":
            return incidents.filter(reported_at__gte=week)
        if value == "30":
            return incidents.filter(reported_at__lt=week, reported_at__gte=month)
        return incidents.filter(reported_at__lt=month)
