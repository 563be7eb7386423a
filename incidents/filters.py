"""The lead's incident list filters. The list starts from incidents_visible_to,
so a filter can only narrow what the user may already see."""

import datetime as dt
from typing import cast

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from incidents.forms import NamedErrorsForm
from incidents.models import Category, Incident, IncidentQuerySet, IncidentType, Risk

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
    # The 4 Cs and, apart from them, personal data breaches: counted as the
    # dashboard counts them (incidents/counting.py), whatever category a breach
    # was filed under before it had its own kind.
    category = django_filters.ChoiceFilter(
        label="Kind of risk",
        empty_label="All",
        choices=[*Category.choices, (IncidentType.DATA_BREACH.value, "Personal data breach")],
        method="of_kind",
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

    def of_kind(self, incidents: IncidentQuerySet, name: str, value: str) -> IncidentQuerySet:
        if value == IncidentType.DATA_BREACH:
            return incidents.filter(incident_type=IncidentType.DATA_BREACH)
        return incidents.filter(category=value).exclude(incident_type=IncidentType.DATA_BREACH)

    def reported(self, incidents: IncidentQuerySet, name: str, value: str) -> IncidentQuerySet:
        now = timezone.now()
        week, month = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
        if value == "7":
            return incidents.filter(reported_at__gte=week)
        if value == "30":
            return incidents.filter(reported_at__lt=week, reported_at__gte=month)
        return incidents.filter(reported_at__lt=month)
