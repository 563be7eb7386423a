"""The review-due dashboard and the board report: what needs attention, what is
overdue, what is due and where the gaps are, in people and "n of N", each
figure with the one table about it. Tables naming children are marked
``case_detail`` (only those who see every child open them); tables naming
staff are marked ``staff_names`` (only admins open them); the board report
leaves both out.

Every figure is counted in the database with a fixed number of queries,
whatever the organisation's size: no query runs once per child, incident or
member of staff. This module and its neighbours (staff_figures,
incident_figures, practice_figures, attention) gather every app, so (like
urls.py) they may import them.
"""

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import connections, router
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import Organisation, User
from children.models import Child, ChildGuardian, active_on
from consent.models import ConsentRecord, ConsentType, TakedownTask
from dashboard.attention import needs_attention
from dashboard.incident_figures import incidents_section, month_starts
from dashboard.practice_figures import (
    breached_contacts,
    breaches_per_rule,
    practice_section,
    records_section,
)
from dashboard.shapes import Attention, Dashboard, Figure, Section, Table
from dashboard.staff_figures import staff_section
from dashboard.wording import last_month, month_start, of
from incidents import counting
from incidents.models import Incident
from policies.models import Acknowledgement, Policy, PolicyVersion, VersionStatus
from policies.services import history_prefetch, policy_state
from practice.models import ContactLog

__all__ = [
    "Attention",
    "Dashboard",
    "Figure",
    "Section",
    "Table",
    "breaches_per_rule",
    "case_table",
    "dashboard_for",
    "month_starts",
    "period_for",
    "quarter_of",
]


# --- policies -------------------------------------------------------------------------------


def _policies(organisation: Organisation, today: dt.date) -> Section:
    policies = list(
        Policy.objects.filter(organisation=organisation)
        .prefetch_related(*history_prefetch())
        .order_by("title", "pk")
    )
    states = [(policy, policy_state(policy, today)) for policy in policies]
    staff_by_role = dict(
        User.objects.filter(organisation=organisation, is_active=True, is_superuser=False)
        .order_by()
        .values_list("role")
        .annotate(n=Count("pk"))
    )
    current_ids = [state.current.pk for _, state in states if state.current]
    read = {}
    for version_id, role, n in (
        Acknowledgement.objects.filter(version_id__in=current_ids, user__is_active=True)
        .order_by()
        .values_list("version_id", "user__role")
        .annotate(n=Count("pk"))
    ):
        read[(version_id, role)] = n
    coverage = Table(
        "policy-coverage",
        gettext("Acknowledgement of each policy's current version"),
        [gettext("Policy"), gettext("Read"), gettext("Audience"), gettext("Coverage")],
    )
    headers = [gettext("Policy"), gettext("Version"), gettext("Review due")]
    overdue = Table("policies-overdue", gettext("Policies overdue for review"), headers)
    due_30 = Table("policies-due-30", gettext("Policies due for review within 30 days"), headers)
    due_60 = Table("policies-due-60", gettext("Policies due for review in 31 to 60 days"), headers)
    drafts = Table(
        "policy-drafts",
        gettext("Drafts awaiting approval"),
        [gettext("Policy"), gettext("Draft")],
    )
    in_force = 0
    for policy, state in states:
        if state.draft is not None:
            drafts.rows.append([policy.title, state.draft.label])
        if state.current is None or state.review_due is None:  # a current version has one
            continue
        in_force += 1
        row: list[object] = [policy.title, state.current.label, f"{state.review_due:%-d %b %Y}"]
        if state.review_due < today:
            overdue.rows.append(row)
        elif state.review_due <= today + dt.timedelta(days=30):
            due_30.rows.append(row)
        elif state.review_due <= today + dt.timedelta(days=60):
            due_60.rows.append(row)
        audience = sum(staff_by_role.get(role, 0) for role in policy.audience_roles)
        done = sum(read.get((state.current.pk, role), 0) for role in policy.audience_roles)
        percent = f"{round(100 * done / audience)}%" if audience else gettext("No audience")
        coverage.rows.append([f"{policy.title} {state.current.label}", done, audience, percent])
    noun = ngettext("policy in force", "policies in force", in_force)

    def share(key: str, table: Table, label: str, warn: bool = False) -> Figure:
        n = len(table.rows)
        return Figure(key, n, of(n, in_force), f"{noun} {label}", table.slug, warn=warn)

    n_overdue, n_30, n_60, n_drafts = (len(t.rows) for t in (overdue, due_30, due_60, drafts))
    return Section(
        gettext("Policies"),
        [
            share(
                "policies-overdue",
                overdue,
                ngettext("is overdue for review", "are overdue for review", n_overdue),
                warn=bool(n_overdue),
            ),
            share(
                "policies-due-30",
                due_30,
                ngettext(
                    "is due for review within 30 days", "are due for review within 30 days", n_30
                ),
            ),
            share(
                "policies-due-60",
                due_60,
                ngettext(
                    "is due for review in 31 to 60 days",
                    "are due for review in 31 to 60 days",
                    n_60,
                ),
            ),
            Figure(
                "policy-drafts",
                n_drafts,
                str(n_drafts),
                ngettext("draft awaiting approval", "drafts awaiting approval", n_drafts),
                drafts.slug,
            ),
        ],
        [overdue, due_30, due_60, drafts, coverage],
    )


# --- consent ----------------------------------------------------------------------------------


# Each parent's latest answer is their record with the highest id: records are
# only ever added, each stamped with the moment it is written, so id order is
# time order. The state per child and type, and the counts per type, are then
# two GROUP BYs over those answers, which the ORM cannot nest, hence SQL. With
# an "until", the same as things stood then (for last month's figure).
CONSENT_STATES_SQL = """
WITH latest AS (
    SELECT r.child_id, r.consent_type_id, r.decision, r.valid_until
    FROM {record} r
    JOIN (SELECT MAX(id) AS id FROM {record} WHERE organisation_id = %(org)s {until}
          GROUP BY child_id, consent_type_id, guardian_id) newest ON newest.id = r.id
    JOIN {link} l ON l.child_id = r.child_id AND l.guardian_id = r.guardian_id
                 AND l.parental_responsibility
    JOIN {child} c ON c.id = r.child_id
    WHERE c.discharged_on IS NULL OR c.discharged_on > %(today)s
), per_child AS (
    SELECT consent_type_id,
        SUM(CASE WHEN decision = 'granted'
                 AND (valid_until IS NULL OR valid_until >= %(today)s) THEN 1 ELSE 0 END) AS grants,
        SUM(CASE WHEN decision IN ('refused', 'withdrawn') THEN 1 ELSE 0 END) AS refusals,
        SUM(CASE WHEN decision = 'granted' AND valid_until IS NULL THEN 1 ELSE 0 END) AS open_ended,
        MAX(CASE WHEN decision = 'granted' AND valid_until >= %(today)s
                 THEN valid_until END) AS runs_to
    FROM latest GROUP BY child_id, consent_type_id
)
SELECT consent_type_id,
    SUM(CASE WHEN grants > 0 AND refusals = 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN grants > 0 AND refusals > 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN grants > 0 AND refusals = 0 AND open_ended = 0 AND runs_to <= %(soon)s
             THEN 1 ELSE 0 END)
FROM per_child GROUP BY consent_type_id
"""


@dataclass
class ConsentStates:
    """Per consent type: active children with live consent, consents where
    parents disagree, and consents running out within 30 days."""

    covered: dict[int, int] = field(default_factory=dict)
    conflicts: dict[int, int] = field(default_factory=dict)
    expiring: dict[int, int] = field(default_factory=dict)


def _consent_states(
    organisation: Organisation, today: dt.date, until: dt.datetime | None = None
) -> ConsentStates:
    sql = CONSENT_STATES_SQL.format(
        record=ConsentRecord._meta.db_table,
        link=ChildGuardian._meta.db_table,
        child=Child._meta.db_table,
        until="AND recorded_at < %(until)s" if until else "",
    )
    params: dict[str, int | dt.date | dt.datetime] = {
        "org": organisation.pk,
        "today": today,
        "soon": today + dt.timedelta(days=30),
    }
    if until:
        params["until"] = until
    states = ConsentStates()
    # A raw cursor bypasses the router: ask it, so this reads the replica when the
    # rest of the dashboard does.
    with connections[router.db_for_read(ConsentRecord)].cursor() as cursor:
        cursor.execute(sql, params)
        for kind, granted, disagree, running_out in cursor.fetchall():
            states.covered[kind] = int(granted or 0)
            states.conflicts[kind] = int(disagree or 0)
            states.expiring[kind] = int(running_out or 0)
    return states


# The consent a coverage figure is given for on the page: the one most online
# work rests on. The table gives every type.
HEADLINE_CONSENT = "online_sessions"
# A contact logged without consent is something to act on while it is recent.
RECENT_DAYS = 30


def _consent(organisation: Organisation, today: dt.date, now: dt.datetime) -> Section:
    """Each active child's consent per type, derived as the consent gate does:
    the latest answer of each parent with parental responsibility; a refusal
    or withdrawal wins; a grant counts while it runs."""
    children = Child.objects.filter(organisation=organisation)
    _, month_end = last_month(today)
    tz = timezone.get_current_timezone()
    this_month = timezone.make_aware(dt.datetime.combine(month_start(today), dt.time.min), tz)
    counts = children.aggregate(
        now=Count("pk", filter=active_on(today)),
        then=Count("pk", filter=active_on(month_end) & Q(created_at__lt=this_month)),
    )
    active_count, active_then = counts["now"], counts["then"]
    states = _consent_states(organisation, today)
    before = _consent_states(organisation, month_end, until=this_month)
    types = list(ConsentType.objects.filter(organisation=organisation, active=True).order_by("pk"))
    coverage = Table(
        "consent-coverage",
        gettext("Active children with live consent, per consent type"),
        [
            gettext("Consent type"),
            gettext("Children with live consent"),
            gettext("Active children"),
            gettext("Coverage"),
            gettext("At the end of last month"),
        ],
    )
    conflicts = Table(
        "consent-conflicts",
        gettext("Consents where parents disagree, per consent type"),
        [gettext("Consent type"), gettext("Children whose parents disagree")],
    )
    expiring = Table(
        "consent-expiring",
        gettext("Consents running out within 30 days, per consent type"),
        [gettext("Consent type"), gettext("Children whose consent runs out")],
    )
    for consent_type in types:
        n = states.covered.get(consent_type.pk, 0)
        percent = f"{round(100 * n / active_count)}%" if active_count else gettext("No children")
        was = of(before.covered.get(consent_type.pk, 0), active_then)
        coverage.rows.append([consent_type.name, n, active_count, percent, was])
        conflicts.rows.append([consent_type.name, states.conflicts.get(consent_type.pk, 0)])
        expiring.rows.append([consent_type.name, states.expiring.get(consent_type.pk, 0)])
    active = children.filter(active_on(today))
    recent = now - dt.timedelta(days=RECENT_DAYS)
    without = ContactLog.objects.filter(
        organisation=organisation,
        consent_allowed=False,
        happened_at__gte=now - relativedelta(years=1),
        child__in=active,
    )
    per_type = list(
        without.order_by()
        .values_list("consent_type__name")
        .annotate(
            year=Count("child", distinct=True),
            month=Count("child", distinct=True, filter=Q(happened_at__gte=recent)),
        )
        .order_by("consent_type__name")
    )
    totals = without.aggregate(
        year=Count("child", distinct=True),
        month=Count("child", distinct=True, filter=Q(happened_at__gte=recent)),
    )
    gaps = Table(
        "consent-gaps",
        gettext("Active children with a contact logged without the consent it needed"),
        [
            gettext("Consent needed"),
            gettext("Children, last 30 days"),
            gettext("Children, last 12 months"),
        ],
        [[name or gettext("Not recorded"), month, year] for name, year, month in per_type]
        + [[gettext("Any (each child once)"), totals["month"], totals["year"]]],
    )
    takedown_counts = TakedownTask.objects.filter(
        organisation=organisation, done_at__isnull=True
    ).aggregate(open=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today)))
    takedowns = Table(
        "takedowns",
        gettext("Open takedown tasks"),
        [gettext("Measure"), gettext("Tasks")],
        [
            [gettext("Open"), takedown_counts["open"]],
            [gettext("Past their due date"), takedown_counts["late"]],
        ],
    )
    children_noun = ngettext("active child", "active children", active_count)
    unconsented, recent_gaps = totals["year"], totals["month"]
    n_conflicts = sum(states.conflicts.values())
    n_expiring = sum(states.expiring.values())
    n_takedowns = takedown_counts["open"]
    figures = []
    headline = next((t for t in types if t.code == HEADLINE_CONSENT), None)
    if headline is not None:
        covered = states.covered.get(headline.pk, 0)
        figures.append(
            Figure(
                "consent-coverage",
                covered,
                of(covered, active_count),
                children_noun
                + " "
                + ngettext(
                    "has live consent for %(type)s",
                    "have live consent for %(type)s",
                    covered,
                )
                % {"type": headline.name.lower()},
                coverage.slug,
                compared=gettext("At the end of last month: %(was)s.")
                % {"was": of(before.covered.get(headline.pk, 0), active_then)},
            )
        )
    figures += [
        Figure(
            "consent-gaps",
            recent_gaps,
            of(recent_gaps, active_count),
            children_noun
            + " "
            + ngettext(
                "had a contact logged without the consent it needed (last 30 days)",
                "had a contact logged without the consent it needed (last 30 days)",
                recent_gaps,
            ),
            gaps.slug,
            warn=recent_gaps > 0,
            compared=gettext("Last 12 months: %(n)s.") % {"n": of(unconsented, active_count)},
        ),
        Figure(
            "consent-conflicts",
            n_conflicts,
            str(n_conflicts),
            ngettext(
                "consent where parents disagree", "consents where parents disagree", n_conflicts
            ),
            conflicts.slug,
            warn=n_conflicts > 0,
        ),
        Figure(
            "consent-expiring",
            n_expiring,
            str(n_expiring),
            ngettext(
                "consent running out within 30 days",
                "consents running out within 30 days",
                n_expiring,
            ),
            expiring.slug,
        ),
        Figure(
            "takedowns",
            n_takedowns,
            str(n_takedowns),
            ngettext("open takedown task", "open takedown tasks", n_takedowns),
            takedowns.slug,
            warn=n_takedowns > 0,
        ),
    ]
    return Section(gettext("Consent"), figures, [coverage, gaps, conflicts, expiring, takedowns])


# --- the whole dashboard --------------------------------------------------------------------


def case_table(organisation: Organisation, slug: str, now: dt.datetime) -> Table | None:
    """A table naming people, read fresh: kept dashboards leave their rows out
    (dashboard.snapshot), so names never sit in the cache."""
    if slug == "practice-breaches":
        return breached_contacts(organisation, now)[0]
    today = timezone.localdate(now)
    staff = staff_section(organisation, today)
    return next((t for t in staff.tables if t.slug == slug and t.staff_names), None)


def dashboard_for(organisation: Organisation, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    incidents, months, monthly, countdowns = incidents_section(organisation, today, now)
    sections = [
        _policies(organisation, today),
        staff_section(organisation, today),
        _consent(organisation, today, now),
        incidents,
        practice_section(organisation, today, now),
        records_section(organisation, today),
    ]
    return Dashboard(
        organisation=organisation,
        today=today,
        months=months,
        monthly=monthly,
        as_of=now,
        sections=sections,
        attention=needs_attention(sections, countdowns),
    )


# --- the board report's period -------------------------------------------------------------


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return start, start + relativedelta(months=3) - dt.timedelta(days=1)


@dataclass
class Period:
    start: dt.date
    end: dt.date
    raised: dict[str, int]  # kind (the 4 Cs, then data breaches) -> incidents raised
    # title, label, approved on (never None: the query asks for a range), summary
    policy_changes: list[tuple[str, str, dt.date | None, str]]
    contact_breaches: int = 0  # contacts in the period that broke a practice rule
    breaches_per_rule: list[list[object]] = field(default_factory=list)  # [rule, contacts]
    # Incidents raised in the period of the same length just before this one.
    raised_before: int = 0

    @property
    def before(self) -> tuple[dt.date, dt.date]:
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return end - length, end


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    return since, until


def period_for(organisation: Organisation, start: dt.date, end: dt.date) -> Period:
    since, until = _day_bounds(start, end)
    counts = dict(
        Incident.objects.filter(
            organisation=organisation, reported_at__gte=since, reported_at__lt=until
        )
        .annotate(kind=counting.kind_of())
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    raised = {
        counting.short_label(label): counts.get(value, 0) for value, label in counting.kinds()
    }
    changes = list(
        PolicyVersion.objects.filter(
            policy__organisation=organisation,
            status=VersionStatus.APPROVED,
            approved_on__gte=start,
            approved_on__lte=end,
        )
        .order_by("approved_on", "pk")
        .values_list("policy__title", "label", "approved_on", "change_summary")
    )
    breaches = list(
        ContactLog.objects.filter(
            organisation=organisation, happened_at__gte=since, happened_at__lt=until
        )
        .exclude(breaches=[])
        .values_list("breaches", flat=True)
    )
    period = Period(start, end, raised, changes, len(breaches), breaches_per_rule(breaches))
    before_since, before_until = _day_bounds(*period.before)
    period.raised_before = Incident.objects.filter(
        organisation=organisation, reported_at__gte=before_since, reported_at__lt=before_until
    ).count()
    return period
