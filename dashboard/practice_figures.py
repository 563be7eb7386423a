"""The online practice and records sections: the registers and recurring tasks,
the contacts that broke a practice rule (the one list of cases, marked
case_detail), retention reviews and subject access requests."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import Organisation
from dashboard.shapes import Figure, Section, Table
from dashboard.wording import of
from practice.contact_rules import breach_name
from practice.models import ContactLog, OnlineAccount, Platform, RecurringTask, WorkDevice
from records.models import RetentionReview, SubjectAccessRequest

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


def breached_contacts(organisation: Organisation, now: dt.datetime) -> tuple[Table, Table]:
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
        gettext("Contacts that broke a practice rule (last %(days)d days)") % {"days": BREACH_DAYS},
        [
            gettext("Date"),
            gettext("Child"),
            gettext("Staff"),
            gettext("Rules broken"),
            gettext("Reason given"),
        ],
        case_detail=True,
    )
    for contact in contacts:
        if contact.override_reason:
            reason = contact.override_reason
        elif contact.unsolicited:
            reason = gettext("Unsolicited: the child made contact")
        else:
            reason = gettext("None given")
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
        gettext("Contacts that broke each practice rule (last %(days)d days)")
        % {"days": BREACH_DAYS},
        [gettext("Rule"), gettext("Contacts")],
        breaches_per_rule([contact.breaches for contact in contacts]),
    )
    return listed, per_rule


def _measure(slug: str, caption: str, rows: list[list[object]]) -> Table:
    return Table(slug, caption, [gettext("Measure"), gettext("Count")], rows)


def practice_section(organisation: Organisation, today: dt.date, now: dt.datetime) -> Section:
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
        all=Count("pk"),
        overdue=Count("pk", filter=Q(next_due__lt=today)),
        soon=Count("pk", filter=Q(next_due__gte=today, next_due__lte=today + dt.timedelta(30))),
    )
    platform_table = _measure(
        "practice-platforms",
        gettext("Approved platforms and their risk assessments"),
        [
            [gettext("Approved platforms"), len(platforms)],
            [gettext("Without a current risk assessment"), unassessed],
        ],
    )
    account_table = _measure(
        "practice-accounts",
        gettext("Online accounts needing attention"),
        [
            [gettext("Online accounts"), len(accounts)],
            [gettext("Needing attention"), flagged],
        ],
    )
    device_table = _measure(
        "practice-devices",
        gettext("Work devices not attested this year"),
        [
            [gettext("Work devices in use"), len(devices)],
            [gettext("Not attested this year"), unattested],
        ],
    )
    task_table = _measure(
        "practice-tasks",
        gettext("Recurring tasks"),
        [
            [gettext("Recurring tasks"), tasks["all"]],
            [gettext("Overdue"), tasks["overdue"]],
            [gettext("Due within 30 days"), tasks["soon"]],
        ],
    )
    listed, per_rule = breached_contacts(organisation, now)
    breached = len(listed.rows)
    return Section(
        gettext("Online practice"),
        [
            Figure(
                "practice-breaches",
                breached,
                str(breached),
                ngettext(
                    "contact broke a practice rule (last %(days)d days)",
                    "contacts broke a practice rule (last %(days)d days)",
                    breached,
                )
                % {"days": BREACH_DAYS},
                per_rule.slug,
                warn=breached > 0,
            ),
            Figure(
                "practice-platforms",
                unassessed,
                of(unassessed, len(platforms)),
                ngettext(
                    "approved platform has no current risk assessment",
                    "approved platforms have no current risk assessment",
                    unassessed,
                ),
                platform_table.slug,
                warn=unassessed > 0,
            ),
            Figure(
                "practice-accounts",
                flagged,
                of(flagged, len(accounts)),
                ngettext(
                    "online account needs attention", "online accounts need attention", flagged
                ),
                account_table.slug,
                warn=flagged > 0,
            ),
            Figure(
                "practice-devices",
                unattested,
                of(unattested, len(devices)),
                ngettext(
                    "work device is not attested this year",
                    "work devices are not attested this year",
                    unattested,
                ),
                device_table.slug,
                warn=unattested > 0,
            ),
            Figure(
                "practice-tasks",
                tasks["overdue"],
                of(tasks["overdue"], tasks["all"]),
                ngettext(
                    "recurring task is overdue", "recurring tasks are overdue", tasks["overdue"]
                ),
                task_table.slug,
                warn=tasks["overdue"] > 0,
            ),
        ],
        [per_rule, listed, platform_table, account_table, device_table, task_table],
    )


def records_section(organisation: Organisation, today: dt.date) -> Section:
    review_counts = RetentionReview.objects.filter(
        organisation=organisation, done_at__isnull=True
    ).aggregate(
        due=Count("pk", filter=Q(due_on__lte=today)),
        confirm=Count("pk", filter=Q(decision="delete")),
    )
    sar_counts = SubjectAccessRequest.objects.filter(
        organisation=organisation, completed_at__isnull=True
    ).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        week=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))),
    )
    reviews = _measure(
        "retention-reviews",
        gettext("Retention reviews"),
        [
            [gettext("Retention reviews due"), review_counts["due"]],
            [gettext("Deletions waiting for a second person"), review_counts["confirm"]],
        ],
    )
    sars = _measure(
        "subject-access",
        gettext("Subject access requests"),
        [
            [gettext("Subject access requests open"), sar_counts["open"]],
            [gettext("Subject access requests due within 7 days"), sar_counts["week"]],
            [gettext("Subject access requests overdue"), sar_counts["overdue"]],
        ],
    )
    return Section(
        gettext("Records"),
        [
            Figure(
                "retention-reviews",
                review_counts["due"],
                str(review_counts["due"]),
                ngettext("retention review due", "retention reviews due", review_counts["due"]),
                reviews.slug,
            ),
            Figure(
                "subject-access",
                sar_counts["overdue"],
                of(sar_counts["overdue"], sar_counts["open"]),
                ngettext(
                    "open subject access request is overdue",
                    "open subject access requests are overdue",
                    sar_counts["overdue"],
                ),
                sars.slug,
                warn=sar_counts["overdue"] > 0,
            ),
        ],
        [reviews, sars],
    )
