"""The incidents section: open incidents by age and risk, those waiting for
triage, how long triage takes and how many were raised (this month so far
beside last month), the 12 months' chart by kind, and personal data breaches
still waiting for the ICO decision, with their countdown."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import Organisation
from common.times import local_time
from dashboard.shapes import Figure, Section, Table
from dashboard.wording import average_duration, of
from incidents import counting
from incidents.ico import ico_countdown
from incidents.models import Incident, IncidentType, Risk, Status


def month_starts(today: dt.date, count: int = 12) -> list[dt.date]:
    first = today.replace(day=1)
    return [first - relativedelta(months=n) for n in range(count - 1, -1, -1)]


def _by_risk(rows: dict[str, int]) -> list[list[object]]:
    listed: list[list[object]] = [[label, rows.get(value, 0)] for value, label in Risk.choices]
    return [*listed, [gettext("All"), sum(rows.values())]]


def incidents_section(
    organisation: Organisation, today: dt.date, now: dt.datetime
) -> tuple[Section, list[dt.date], dict[str, list[int]], list[tuple[str, bool]]]:
    """The section, the chart's months and counts per kind, and each open ICO
    decision's countdown and whether it is overdue (for the attention strip)."""
    incidents = Incident.objects.filter(organisation=organisation)
    week_ago, month_ago = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
    ages = {
        row["risk"]: row
        for row in incidents.open()
        .order_by()
        .values("risk")
        .annotate(
            recent=Count("pk", filter=Q(reported_at__gte=week_ago)),
            middle=Count("pk", filter=Q(reported_at__lt=week_ago, reported_at__gte=month_ago)),
            older=Count("pk", filter=Q(reported_at__lt=month_ago)),
            waiting=Count("pk", filter=Q(status=Status.NEW)),
        )
    }
    open_table = Table(
        "incidents-open",
        gettext("Open incidents by age and risk"),
        [
            gettext("Risk"),
            gettext("Under 7 days"),
            gettext("7 to 30 days"),
            gettext("Over 30 days"),
            gettext("Total"),
        ],
    )
    totals = [0, 0, 0]
    for value, label in Risk.choices:
        row = ages.get(value, {"recent": 0, "middle": 0, "older": 0})
        cells = [row["recent"], row["middle"], row["older"]]
        totals = [a + b for a, b in zip(totals, cells, strict=True)]
        open_table.rows.append([label, *cells, sum(cells)])
    open_table.rows.append([gettext("All"), *totals, sum(totals)])
    long_open = Table(
        "incidents-open-long",
        gettext("Incidents open for over 30 days, by risk"),
        [gettext("Risk"), gettext("Incidents")],
        _by_risk({risk: row["older"] for risk, row in ages.items()}),
    )
    waiting_counts = {risk: row["waiting"] for risk, row in ages.items()}
    waiting = Table(
        "incidents-waiting",
        gettext("Incidents waiting for triage, by risk"),
        [gettext("Risk"), gettext("Incidents")],
        _by_risk(waiting_counts),
    )
    months = month_starts(today)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min), tz)
    # The 4 Cs, then personal data breaches, each counted once (incidents.counting).
    labels = {value: counting.short_label(label) for value, label in counting.kinds()}
    monthly = {label: [0] * 12 for label in labels.values()}
    index = {month: n for n, month in enumerate(months)}
    for row in (
        incidents.filter(reported_at__gte=start)
        .annotate(month=TruncMonth("reported_at", tzinfo=tz), kind=counting.kind_of())
        .order_by()
        .values("month", "kind")
        .annotate(n=Count("pk"))
    ):
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        # Only a breach goes without a category (the form asks every other
        # incident for one), so no incident falls outside the kinds.
        if month in index and row["kind"] in labels:
            monthly[labels[row["kind"]]][index[month]] = row["n"]
    per_month = Table(
        "incidents-monthly",
        gettext("New incidents per month, by kind of risk"),
        [gettext("Month"), *monthly.keys(), gettext("Total")],
    )
    for n, month in enumerate(months):
        counts = [series[n] for series in monthly.values()]
        per_month.rows.append([f"{month:%b %Y}", *counts, sum(counts)])
    raised_now = sum(series[-1] for series in monthly.values())
    raised_before = sum(series[-2] for series in monthly.values())

    # Time to triage, by the month the triage happened in.
    this_month = timezone.make_aware(dt.datetime.combine(months[-1], dt.time.min), tz)
    last_month = timezone.make_aware(dt.datetime.combine(months[-2], dt.time.min), tz)
    year: list[float] = []
    current: list[float] = []
    previous: list[float] = []
    for reported, triaged in incidents.filter(
        triaged_at__isnull=False, triaged_at__gte=now - relativedelta(years=1)
    ).values_list("reported_at", "triaged_at"):
        if triaged is None:  # the query excludes None
            continue
        hours = (triaged - reported) / dt.timedelta(hours=1)
        year.append(hours)
        if triaged >= this_month:
            current.append(hours)
        elif triaged >= last_month:
            previous.append(hours)
    none = gettext("no incidents triaged")
    triage = Table(
        "incidents-triage",
        gettext("Time to triage incidents: this month, last month and the last 12 months"),
        [gettext("Triaged in"), gettext("Incidents triaged"), gettext("Average time to triage")],
        [
            [gettext("This month so far"), len(current), average_duration(current) or none],
            [gettext("Last month"), len(previous), average_duration(previous) or none],
            [gettext("The last 12 months"), len(year), average_duration(year) or none],
        ],
    )
    if current:
        triage_figure = Figure(
            "incidents-triage-time",
            None,
            average_duration(current),
            gettext("on average to triage an incident (this month so far)"),
            triage.slug,
        )
    else:
        triage_figure = Figure(
            "incidents-triage-time",
            None,
            "",
            gettext("No incidents triaged this period (this month so far)"),
            triage.slug,
        )
    triage_figure.compared = (
        gettext("Last month: %(time)s.") % {"time": average_duration(previous)}
        if previous
        else gettext("Last month: no incidents triaged.")
    )

    breaches = Table(
        "data-breaches",
        gettext("Personal data breaches not yet decided for the ICO"),
        [gettext("Became aware"), gettext("ICO deadline"), gettext("Time left")],
    )
    countdowns: list[tuple[str, bool]] = []
    for breach in (
        incidents.filter(incident_type=IncidentType.DATA_BREACH, ico_decision="")
        .order_by("disclosed_at")
        .only("disclosed_at", "incident_type", "ico_decision")
    ):
        breach.organisation = organisation  # for its timezone, without a query
        countdown = ico_countdown(breach, now)
        if countdown is None:
            continue
        countdowns.append((countdown.text, countdown.overdue))
        breaches.rows.append(
            [
                local_time(breach.disclosed_at, organisation.timezone),
                local_time(countdown.deadline, organisation.timezone),
                gettext("Deadline passed %(span)s ago") % {"span": countdown.span}
                if countdown.overdue
                else countdown.span,
            ]
        )
    open_total = sum(totals)
    n_waiting = sum(waiting_counts.values())
    n_breaches = len(breaches.rows)
    section = Section(
        gettext("Incidents"),
        [
            Figure(
                "incidents-raised",
                raised_now,
                str(raised_now),
                ngettext(
                    "incident raised this month so far",
                    "incidents raised this month so far",
                    raised_now,
                ),
                per_month.slug,
                compared=ngettext(
                    "Last month: %(n)d incident.", "Last month: %(n)d incidents.", raised_before
                )
                % {"n": raised_before},
            ),
            Figure(
                "incidents-open",
                open_total,
                str(open_total),
                ngettext("incident open", "incidents open", open_total),
                open_table.slug,
            ),
            Figure(
                "incidents-open-long",
                totals[2],
                of(totals[2], open_total),
                ngettext(
                    "open incident has been open for over 30 days",
                    "open incidents have been open for over 30 days",
                    totals[2],
                ),
                long_open.slug,
                warn=totals[2] > 0,
            ),
            Figure(
                "incidents-waiting",
                n_waiting,
                str(n_waiting),
                ngettext("incident waiting for triage", "incidents waiting for triage", n_waiting),
                waiting.slug,
                warn=n_waiting > 0,
            ),
            triage_figure,
            Figure(
                "data-breaches",
                n_breaches,
                str(n_breaches),
                ngettext(
                    "personal data breach awaiting the ICO decision",
                    "personal data breaches awaiting the ICO decision",
                    n_breaches,
                ),
                breaches.slug,
                warn=n_breaches > 0,
            ),
        ],
        [open_table, long_open, waiting, per_month, triage, breaches],
    )
    return section, months, monthly, countdowns
