"""The review-due dashboard and the board report: what is overdue, what is due
and where the gaps are, in figures and aggregate tables. The one list of cases
(contacts that broke a practice rule) is marked ``case_detail``: only those who
see every child open it, and the board report leaves it out.

Every figure is counted in the database with a fixed number of queries,
whatever the organisation's size: no query runs once per child, incident or
member of staff. This module gathers every app, so (like urls.py) it may
import them.
"""

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import connections, router
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Organisation, User, has_second_factor
from children.models import Child, ChildGuardian, active_on
from common.times import local_time
from compliance.services import compliance_for
from consent.models import ConsentRecord, ConsentType, TakedownTask
from incidents import counting
from incidents.models import Incident, IncidentType, Risk, Status
from policies.models import Acknowledgement, Policy, PolicyVersion, VersionStatus
from policies.services import history_prefetch, policy_state
from practice.contact_rules import breach_name
from practice.models import ContactLog, OnlineAccount, Platform, RecurringTask, WorkDevice
from records.models import RetentionReview, SubjectAccessRequest


@dataclass
class Table:
    slug: str
    caption: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    # Names children: shown only to those who see every child, never in the
    # board report, which is counts only.
    case_detail: bool = False


@dataclass
class Figure:
    label: str
    value: int | str
    table: str  # the slug of the table behind it
    warn: bool = False


@dataclass
class Section:
    title: str
    figures: list[Figure]
    tables: list[Table]


@dataclass
class Dashboard:
    organisation: Organisation
    today: dt.date
    sections: list[Section]
    months: list[dt.date]  # the 12 months of the incidents chart
    monthly: dict[str, list[int]]  # kind (the 4 Cs, then data breaches) -> count per month
    as_of: dt.datetime  # the moment the figures describe
    # Set by dashboard.snapshot when these figures are kept: what else may be kept
    # beside them (the rendered sections) is kept under the same key.
    snapshot_key: str | None = None

    def table(self, slug: str) -> Table | None:
        return next((t for s in self.sections for t in s.tables if t.slug == slug), None)

    def figure(self, label: str) -> Figure | None:
        return next((f for s in self.sections for f in s.figures if f.label == label), None)


# --- policies -------------------------------------------------------------------------------


def _policies(organisation: Organisation, today: dt.date) -> Section:
    policies = list(
        Policy.objects.filter(organisation=organisation).prefetch_related(*history_prefetch())
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
        "Acknowledgement of each policy's current version",
        ["Policy", "Read", "Audience", "Coverage"],
    )
    overdue = due_30 = due_60 = drafts = 0
    for policy, state in states:
        drafts += state.draft is not None
        if state.current is None or state.review_due is None:  # a current version has one
            continue
        if state.review_due < today:
            overdue += 1
        elif state.review_due <= today + dt.timedelta(days=30):
            due_30 += 1
        elif state.review_due <= today + dt.timedelta(days=60):
            due_60 += 1
        audience = sum(staff_by_role.get(role, 0) for role in policy.audience_roles)
        done = sum(read.get((state.current.pk, role), 0) for role in policy.audience_roles)
        share = f"{round(100 * done / audience)}%" if audience else "No audience"
        coverage.rows.append([f"{policy.title} {state.current.label}", done, audience, share])
    due = Table(
        "policy-reviews",
        "Policy reviews",
        ["Measure", "Policies"],
        [
            ["Overdue", overdue],
            ["Due within 30 days", due_30],
            ["Due in 31 to 60 days", due_60],
            ["Drafts awaiting approval", drafts],
        ],
    )
    return Section(
        "Policies",
        [
            Figure("Policies overdue for review", overdue, "policy-reviews", warn=overdue > 0),
            Figure("Policies due within 30 days", due_30, "policy-reviews"),
            Figure("Policies due in 31 to 60 days", due_60, "policy-reviews"),
            Figure("Drafts awaiting approval", drafts, "policy-reviews"),
        ],
        [due, coverage],
    )


# --- staff ------------------------------------------------------------------------------------


def _staff(organisation: Organisation, today: dt.date) -> Section:
    staff = list(
        User.objects.of(organisation)
        .active()
        .filter(is_superuser=False)
        .annotate(enrolled=has_second_factor())
    )
    rows = compliance_for(staff, organisation)
    counts = {}
    for name in ("dbs", "safeguarding", "online_safety"):
        statuses = [getattr(row, name).status(today) for row in rows]
        counts[name] = (
            statuses.count("overdue") + statuses.count("missing"),
            statuses.count("due soon"),
        )
    no_2fa = sum(not member.enrolled for member in staff)
    lacking = sum(bool(row.gaps) for row in rows)
    table = Table(
        "staff",
        "Staff checks and training",
        ["Check", "Overdue or missing", "Due within 30 days"],
        [
            ["DBS check", *counts["dbs"]],
            ["Safeguarding training", *counts["safeguarding"]],
            ["Online-safety training", *counts["online_safety"]],
        ],
    )
    two_factor = Table(
        "two-factor",
        "Sign-in security",
        ["Measure", "Staff"],
        [
            ["Active staff", len(staff)],
            ["Without a second factor enrolled", no_2fa],
        ],
    )
    gaps: dict[str, int] = {}
    for row in rows:
        for gap in row.gaps:
            gaps[gap] = gaps.get(gap, 0) + 1
    training_gaps = Table(
        "training-gaps",
        "Required training missing or overdue",
        ["Training", "Staff lacking it"],
        sorted(map(list, gaps.items())),
    )
    overdue = counts["dbs"][0] + counts["safeguarding"][0] + counts["online_safety"][0]
    due_soon = counts["dbs"][1] + counts["safeguarding"][1] + counts["online_safety"][1]
    return Section(
        "Staff",
        [
            Figure(
                "DBS checks and training overdue or missing", overdue, "staff", warn=overdue > 0
            ),
            Figure("DBS checks and training due within 30 days", due_soon, "staff"),
            Figure("Staff without a second factor", no_2fa, "two-factor", warn=no_2fa > 0),
            Figure(
                "Staff missing training their role needs",
                lacking,
                "training-gaps",
                warn=lacking > 0,
            ),
        ],
        [table, two_factor, training_gaps],
    )


# --- consent ----------------------------------------------------------------------------------


# Each parent's latest answer is their record with the highest id: records are
# only ever added, each stamped with the moment it is written, so id order is
# time order. The state per child and type, and the counts per type, are then
# two GROUP BYs over those answers, which the ORM cannot nest, hence SQL.
CONSENT_STATES_SQL = """
WITH latest AS (
    SELECT r.child_id, r.consent_type_id, r.decision, r.valid_until
    FROM {record} r
    JOIN (SELECT MAX(id) AS id FROM {record} WHERE organisation_id = %(org)s
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


def _consent_states(organisation: Organisation, today: dt.date) -> tuple[dict[int, int], int, int]:
    """Per consent type, the active children with live consent; and in all, the
    consents where parents disagree and those running out within 30 days."""
    sql = CONSENT_STATES_SQL.format(
        record=ConsentRecord._meta.db_table,
        link=ChildGuardian._meta.db_table,
        child=Child._meta.db_table,
    )
    params: dict[str, int | dt.date] = {
        "org": organisation.pk,
        "today": today,
        "soon": today + dt.timedelta(days=30),
    }
    covered: dict[int, int] = {}
    conflicts = expiring = 0
    # A raw cursor bypasses the router: ask it, so this reads the replica when the
    # rest of the dashboard does.
    with connections[router.db_for_read(ConsentRecord)].cursor() as cursor:
        cursor.execute(sql, params)
        for kind, granted, disagree, running_out in cursor.fetchall():
            covered[kind] = int(granted or 0)
            conflicts += int(disagree or 0)
            expiring += int(running_out or 0)
    return covered, conflicts, expiring


def _consent(organisation: Organisation, today: dt.date) -> Section:
    """Each active child's consent per type, derived as the consent gate does:
    the latest answer of each parent with parental responsibility; a refusal
    or withdrawal wins; a grant counts while it runs."""
    active = Child.objects.filter(active_on(today), organisation=organisation)
    active_count = active.count()
    covered, conflicts, expiring = _consent_states(organisation, today)
    coverage = Table(
        "consent-coverage",
        "Active children with live consent, per consent type",
        ["Consent type", "Children with live consent", "Active children", "Coverage"],
    )
    for consent_type in ConsentType.objects.filter(organisation=organisation, active=True):
        n = covered.get(consent_type.pk, 0)
        share = f"{round(100 * n / active_count)}%" if active_count else "No children"
        coverage.rows.append([consent_type.name, n, active_count, share])
    year_ago = timezone.now() - relativedelta(years=1)
    unconsented = (
        ContactLog.objects.filter(
            organisation=organisation, consent_allowed=False, happened_at__gte=year_ago
        )
        .values("child_id")
        .distinct()
        .count()
    )
    takedowns = TakedownTask.objects.filter(organisation=organisation, done_at__isnull=True).count()
    gaps = Table(
        "consent-gaps",
        "Consent gaps",
        ["Measure", "Count"],
        [
            ["Children with a contact logged without consent (last 12 months)", unconsented],
            ["Consents where parents disagree", conflicts],
            ["Consents running out within 30 days", expiring],
            ["Open takedown tasks", takedowns],
        ],
    )
    return Section(
        "Consent",
        [
            Figure(
                "Children with contact logged without consent",
                unconsented,
                "consent-gaps",
                warn=unconsented > 0,
            ),
            Figure(
                "Consents where parents disagree", conflicts, "consent-gaps", warn=conflicts > 0
            ),
            Figure("Consents running out within 30 days", expiring, "consent-gaps"),
            Figure("Open takedown tasks", takedowns, "consent-gaps", warn=takedowns > 0),
        ],
        [coverage, gaps],
    )


# --- incidents -------------------------------------------------------------------------------


def month_starts(today: dt.date, count: int = 12) -> list[dt.date]:
    first = today.replace(day=1)
    return [first - relativedelta(months=n) for n in range(count - 1, -1, -1)]


def _incidents(
    organisation: Organisation, today: dt.date, now: dt.datetime
) -> tuple[Section, list[dt.date], dict[str, list[int]]]:
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
        )
    }
    open_table = Table(
        "incidents-open",
        "Open incidents by age and risk",
        ["Risk", "Under 7 days", "7 to 30 days", "Over 30 days", "Total"],
    )
    totals = [0, 0, 0]
    for value, label in Risk.choices:
        row = ages.get(value, {"recent": 0, "middle": 0, "older": 0})
        cells = [row["recent"], row["middle"], row["older"]]
        totals = [a + b for a, b in zip(totals, cells, strict=True)]
        open_table.rows.append([label, *cells, sum(cells)])
    open_table.rows.append(["All", *totals, sum(totals)])
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
        "New incidents per month, by kind of risk",
        ["Month", *monthly.keys(), "Total"],
    )
    for n, month in enumerate(months):
        counts = [series[n] for series in monthly.values()]
        per_month.rows.append([f"{month:%b %Y}", *counts, sum(counts)])
    triage_times = [
        (triaged - reported) / dt.timedelta(hours=1)
        for reported, triaged in incidents.filter(
            triaged_at__isnull=False, reported_at__gte=now - relativedelta(years=1)
        ).values_list("reported_at", "triaged_at")
        if triaged is not None  # the query excludes None
    ]
    average = f"{sum(triage_times) / len(triage_times):.1f} hours" if triage_times else "None yet"
    breaches = Table(
        "data-breaches",
        "Personal data breaches not yet decided for the ICO",
        ["Became aware", "ICO deadline", "Hours left"],
    )
    for aware in (
        incidents.filter(incident_type=IncidentType.DATA_BREACH, ico_decision="")
        .order_by("disclosed_at")
        .values_list("disclosed_at", flat=True)
    ):
        deadline = aware + dt.timedelta(hours=72)
        left = (deadline - now) / dt.timedelta(hours=1)
        breaches.rows.append(
            [
                local_time(aware, organisation.timezone),
                local_time(deadline, organisation.timezone),
                f"{left:.0f}" if left > 0 else "Deadline passed",
            ]
        )
    status_counts = dict(incidents.order_by().values_list("status").annotate(n=Count("pk")))
    triage = Table(
        "incidents-triage",
        "Triage",
        ["Measure", "Value"],
        [
            ["Waiting for triage", status_counts.get(Status.NEW, 0)],
            ["Average time to triage (last 12 months)", average],
        ],
    )
    open_total = sum(totals)
    section = Section(
        "Incidents",
        [
            Figure("Open incidents", open_total, "incidents-open"),
            Figure("Open for over 30 days", totals[2], "incidents-open", warn=totals[2] > 0),
            Figure(
                "Waiting for triage",
                status_counts.get(Status.NEW, 0),
                "incidents-triage",
                warn=status_counts.get(Status.NEW, 0) > 0,
            ),
            Figure("Average time to triage", average, "incidents-triage"),
            Figure(
                "Data breaches awaiting an ICO decision",
                len(breaches.rows),
                "data-breaches",
                warn=bool(breaches.rows),
            ),
        ],
        [open_table, per_month, triage, breaches],
    )
    return section, months, monthly


# --- online practice ----------------------------------------------------------------------

# Contacts that broke a rule are listed for the last 90 days: recent enough to
# act on, and few enough to read.
BREACH_DAYS = 90


def breaches_per_rule(breaches: list[list[dict[str, str]]]) -> list[list[object]]:
    """Contacts per rule broken, most first; a contact breaking a rule twice
    (two members of staff without checks) counts once for it."""
    counts: dict[str, int] = {}
    for contact in breaches:
        for code in {breach["code"] for breach in contact}:
            counts[code] = counts.get(code, 0) + 1
    return [
        [breach_name(code), n]
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], breach_name(item[0])))
    ]


def _breached_contacts(organisation: Organisation, now: dt.datetime) -> tuple[Table, Table]:
    """One query over the period's breached contacts only, whatever the size of
    the contact log."""
    contacts = list(
        ContactLog.objects.filter(
            organisation=organisation, happened_at__gte=now - dt.timedelta(days=BREACH_DAYS)
        )
        .exclude(breaches=[])
        .select_related("child", "staff")
        .only(
            "happened_at",
            "breaches",
            "override_reason",
            "unsolicited",
            "child__first_name",
            "child__preferred_name",
            "child__last_name",
            "staff__full_name",
        )
        .order_by("-happened_at", "-pk")
    )
    listed = Table(
        "practice-breaches",
        f"Contacts that broke a practice rule (last {BREACH_DAYS} days)",
        ["Date", "Child", "Staff", "Rules broken", "Reason given"],
        case_detail=True,
    )
    for contact in contacts:
        if contact.override_reason:
            reason = contact.override_reason
        elif contact.unsolicited:
            reason = "Unsolicited: the child made contact"
        else:
            reason = "None given"
        listed.rows.append(
            [
                f"{timezone.localtime(contact.happened_at):%-d %b %Y %H:%M}",
                contact.child.display_name,
                contact.staff.full_name,
                " ".join(contact.breach_messages),
                reason,
            ]
        )
    per_rule = Table(
        "practice-breach-rules",
        f"Contacts that broke each practice rule (last {BREACH_DAYS} days)",
        ["Rule", "Contacts"],
        breaches_per_rule([contact.breaches for contact in contacts]),
    )
    return listed, per_rule


def _practice(organisation: Organisation, today: dt.date, now: dt.datetime) -> Section:
    platforms = list(
        Platform.objects.filter(organisation=organisation, approved=True).prefetch_related(
            "assessments"
        )
    )
    unassessed = sum(platform.current_assessment(today) is None for platform in platforms)
    accounts = list(
        OnlineAccount.objects.filter(organisation=organisation).prefetch_related(
            "holders", "monitors"
        )
    )
    flagged = sum(bool(account.problems(today)) for account in accounts)
    devices = list(
        WorkDevice.objects.filter(
            organisation=organisation, retired_on__isnull=True
        ).prefetch_related("attestations")
    )
    unattested = sum(
        (until := device.attested_until()) is None or until < today for device in devices
    )
    tasks = RecurringTask.objects.filter(organisation=organisation, active=True).aggregate(
        overdue=Count("pk", filter=Q(next_due__lt=today)),
        soon=Count("pk", filter=Q(next_due__gte=today, next_due__lte=today + dt.timedelta(30))),
    )
    table = Table(
        "practice",
        "Online practice registers and tasks",
        ["Measure", "Count"],
        [
            ["Approved platforms", len(platforms)],
            ["Approved platforms without a current risk assessment", unassessed],
            ["Online accounts needing attention", flagged],
            ["Work devices not attested this year", unattested],
            ["Recurring tasks overdue", tasks["overdue"]],
            ["Recurring tasks due within 30 days", tasks["soon"]],
        ],
    )
    listed, per_rule = _breached_contacts(organisation, now)
    breached = len(listed.rows)
    return Section(
        "Online practice",
        [
            Figure(
                "Contacts that broke a practice rule",
                breached,
                per_rule.slug,
                warn=breached > 0,
            ),
            Figure(
                "Platforms without a current risk assessment",
                unassessed,
                "practice",
                warn=unassessed > 0,
            ),
            Figure("Online accounts needing attention", flagged, "practice", warn=flagged > 0),
            Figure("Work devices not attested", unattested, "practice", warn=unattested > 0),
            Figure(
                "Recurring tasks overdue", tasks["overdue"], "practice", warn=tasks["overdue"] > 0
            ),
        ],
        [table, per_rule, listed],
    )


# --- retention and subject access -----------------------------------------------------------------


def _records(organisation: Organisation, today: dt.date) -> Section:
    reviews = RetentionReview.objects.filter(organisation=organisation, done_at__isnull=True)
    review_counts = reviews.aggregate(
        due=Count("pk", filter=Q(due_on__lte=today)),
        confirm=Count("pk", filter=Q(decision="delete")),
    )
    sars = SubjectAccessRequest.objects.filter(organisation=organisation, completed_at__isnull=True)
    sar_counts = sars.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        week=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))),
    )
    table = Table(
        "records",
        "Retention reviews and subject access requests",
        ["Measure", "Count"],
        [
            ["Retention reviews due", review_counts["due"]],
            ["Deletions waiting for a second person", review_counts["confirm"]],
            ["Subject access requests open", sar_counts["open"]],
            ["Subject access requests due within 7 days", sar_counts["week"]],
            ["Subject access requests overdue", sar_counts["overdue"]],
        ],
    )
    return Section(
        "Records",
        [
            Figure("Retention reviews due", review_counts["due"], "records"),
            Figure("Subject access requests open", sar_counts["open"], "records"),
            Figure(
                "Subject access requests overdue",
                sar_counts["overdue"],
                "records",
                warn=sar_counts["overdue"] > 0,
            ),
        ],
        [table],
    )


def case_table(organisation: Organisation, slug: str, now: dt.datetime) -> Table | None:
    """A table naming children, read fresh: kept dashboards leave their rows out
    (dashboard.snapshot), so names never sit in the cache."""
    if slug == "practice-breaches":
        return _breached_contacts(organisation, now)[0]
    return None


def dashboard_for(organisation: Organisation, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    incidents, months, monthly = _incidents(organisation, today, now)
    return Dashboard(
        organisation=organisation,
        today=today,
        months=months,
        monthly=monthly,
        as_of=now,
        sections=[
            _policies(organisation, today),
            _staff(organisation, today),
            _consent(organisation, today),
            incidents,
            _practice(organisation, today, now),
            _records(organisation, today),
        ],
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


def period_for(organisation: Organisation, start: dt.date, end: dt.date) -> Period:
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
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
    return Period(start, end, raised, changes, len(breaches), breaches_per_rule(breaches))
