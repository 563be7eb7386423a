"""The DSL's list of incidents, a member of staff's own, and the counts."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, Value, When
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import AuthedRequest
from audit import services as audit
from children.models import Child
from common.pagination import page_of
from incidents import counting
from incidents.filters import IncidentFilter
from incidents.models import (
    URGENT_RISKS,
    Referral,
    Risk,
    Status,
    still_open,
)
from incidents.permissions import (
    incidents_counted_for,
    incidents_visible_to,
    leads_incidents,
    reported_by,
    sees_incident_counts,
)

# --- lists and counts ----------------------------------------------------------------------


def _overdue(today: dt.date) -> Case:
    """True for an open incident with an action past due or a referral to chase.
    (A Case, not a bare condition: with no due date the condition is NULL, which
    PostgreSQL would sort before true.)"""
    chases = Referral.objects.filter(incident=OuterRef("pk"), outcome="", chase_on__lte=today)
    late = Q(next_action_due__lt=today) | Q(Exists(chases))
    return Case(When(Q(late) & ~Q(status=Status.CLOSED), then=Value(True)), default=Value(False))


def _urgency() -> Case:
    """What a DSL must look at first, smallest first: an untriaged concern of high
    or immediate risk, then any other untriaged one, then one that is overdue
    (``overdue`` annotated first), then the rest still open, closed ones last."""
    return Case(
        When(status=Status.NEW, risk__in=URGENT_RISKS, then=Value(0)),
        When(status=Status.NEW, then=Value(1)),
        When(overdue=True, then=Value(2)),
        When(still_open(), then=Value(3)),
        default=Value(4),
    )


def _risk_rank() -> Case:
    """Immediate danger first, low last."""
    return Case(
        When(risk=Risk.IMMEDIATE, then=Value(0)),
        When(risk=Risk.HIGH, then=Value(1)),
        When(risk=Risk.MEDIUM, then=Value(2)),
        default=Value(3),
    )


# What incidents/incident_list.html shows of each incident.
LIST_FIELDS = (
    "reference",
    "reported_at",
    "incident_type",
    "risk",
    "status",
    "close_proposed_at",
    "closed_at",
)


def incident_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    if not leads_incidents(user):
        # Staff see the concerns they raised, and any incident shared with them.
        audit.record(action="incident.list_viewed", actor=user, details={"list": "own"})
        return render(
            request,
            "incidents/incident_list_staff.html",
            {
                "reported": reported_by(user).order_by("-reported_at"),
                "shared": incidents_visible_to(user).order_by("-reported_at"),
            },
        )
    filters = IncidentFilter(
        request.GET, queryset=incidents_visible_to(user).annotate(overdue=_overdue(today))
    )
    # A row shows a handful of fields: the accounts (what happened, the child's
    # words, the outcome) are each up to a page of text and are read only on
    # the incident itself.
    incidents = (
        filters.qs.annotate(urgency=_urgency(), risk_rank=_risk_rank())
        .order_by("urgency", "risk_rank", "-reported_at", "-pk")
        .only(*LIST_FIELDS)
        .prefetch_related(
            Prefetch(
                "children", queryset=Child.objects.only("first_name", "last_name", "preferred_name")
            )
        )
    )
    page = page_of(request, incidents)
    audit.record(
        action="incident.list_viewed",
        actor=user,
        details={key: value for key, value in filters.form.cleaned_data.items() if value},
    )
    return render(
        request,
        "incidents/incident_list.html",
        {
            "form": filters.form,
            "incidents": page,
            "page": page,
            "today": today,
        },
    )


def incident_counts(request: AuthedRequest) -> HttpResponse:
    """How many, of what kind, how old: for directors, who never see cases."""
    if not sees_incident_counts(request.user):
        raise PermissionDenied
    now = timezone.now()
    week_ago, month_ago = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
    is_open = still_open()
    # Every figure in one pass over the organisation's incidents.
    counts = incidents_counted_for(request.user).aggregate(
        **{f"status_{value}": Count("pk", filter=Q(status=value)) for value in Status.values},
        **{
            f"kind_{value}": Count("pk", filter=is_open & counting.counted_as(value))
            for value, _label in counting.kinds()
        },
        **{f"risk_{value}": Count("pk", filter=is_open & Q(risk=value)) for value in Risk.values},
        open_total=Count("pk", filter=is_open),
        recent=Count("pk", filter=is_open & Q(reported_at__gte=week_ago)),
        month=Count("pk", filter=is_open & Q(reported_at__lt=week_ago, reported_at__gte=month_ago)),
        older=Count("pk", filter=is_open & Q(reported_at__lt=month_ago)),
    )
    audit.record(action="incident.counts_viewed", actor=request.user)
    return render(
        request,
        "incidents/incident_counts.html",
        {
            "status_rows": [(label, counts[f"status_{value}"]) for value, label in Status.choices],
            "kind_rows": [(label, counts[f"kind_{value}"]) for value, label in counting.kinds()],
            "risk_rows": [(label, counts[f"risk_{value}"]) for value, label in Risk.choices],
            "ages": {key: counts[key] for key in ("recent", "month", "older")},
            "open_total": counts["open_total"],
        },
    )
