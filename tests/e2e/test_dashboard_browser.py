"""The review-due dashboard in Chromium, on the demo organisation: the director
opens it from the navigation, sees the figures the demo data should give
(counted here straight from the database, not through safeguard/dashboard.py),
follows a figure to the table behind it, and downloads the board report.
axe checks the dashboard and the table page."""

import datetime as dt
import io
import re
from collections import defaultdict

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import Organisation, User
from children.models import ChildGuardian
from compliance.models import DBSCheck, TrainingKind, TrainingRecord
from consent.models import ConsentRecord, TakedownTask
from incidents.models import Incident, IncidentType, Status
from ops.management.commands.seed_demo import DEMO_ORGANISATION, DEMO_PASSWORD
from policies.models import Policy, PolicyVersion, VersionStatus
from practice.models import ContactLog, OnlineAccount, Platform, RecurringTask, WorkDevice
from records.models import RetentionReview, SubjectAccessRequest
from tests.auth import secret_base32, totp
from tests.e2e.test_consent_browser import no_serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DIRECTOR = "director@demo.safeguard.test"
CHART_TITLE = "New incidents per month for the last 12 months, by kind of risk"


def sign_in_demo(page: Page, base: str, user: User) -> None:
    """As tests.e2e.test_sign_in_browser.sign_in, with the demo's printed password."""
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(
        totp(secret_base32(user.totpdevice_set.get()))
    )
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_ORGANISATION["name"])


def policy_figures(organisation: Organisation, today: dt.date) -> dict[str, int]:
    """Each policy's latest approved version and its review date (the demo records no reviews)."""
    overdue = due_30 = due_60 = drafts = 0
    for policy in Policy.objects.filter(organisation=organisation):
        versions = PolicyVersion.objects.filter(policy=policy)
        drafts += versions.filter(status=VersionStatus.DRAFT).exists()
        current = (
            versions.filter(status=VersionStatus.APPROVED, approved_on__lte=today)
            .order_by("-approved_on", "-pk")
            .first()
        )
        if current is None:
            continue
        if current.review_due < today:
            overdue += 1
        elif current.review_due <= today + dt.timedelta(days=30):
            due_30 += 1
        elif current.review_due <= today + dt.timedelta(days=60):
            due_60 += 1
    return {
        "Policies overdue for review": overdue,
        "Policies due within 30 days": due_30,
        "Policies due in 31 to 60 days": due_60,
        "Drafts awaiting approval": drafts,
    }


def staff_figures(organisation: Organisation, today: dt.date) -> dict[str, int]:
    staff = list(User.objects.filter(organisation=organisation, is_active=True, is_superuser=False))
    overdue = due_soon = 0

    def count(due: dt.date | None) -> None:
        nonlocal overdue, due_soon
        if due is None or due <= today:
            overdue += 1
        elif due <= today + dt.timedelta(days=30):
            due_soon += 1

    for member in staff:
        check = DBSCheck.objects.filter(staff=member).order_by("-issued_on").first()
        count(check.next_check_due(organisation.dbs_recheck_months) if check else None)
        for kind in (TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY):
            record = (
                TrainingRecord.objects.filter(staff=member, kind=kind)
                .order_by("-completed_on")
                .first()
            )
            count(record.refresh_due if record else None)
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    no_2fa = User.objects.filter(pk__in=[m.pk for m in staff]).exclude(Exists(enrolled)).count()
    return {
        "DBS checks and training overdue or missing": overdue,
        "DBS checks and training due within 30 days": due_soon,
        "Staff without a second factor": no_2fa,
    }


def consent_figures(organisation: Organisation, today: dt.date) -> dict[str, int]:
    """Latest answer per parent with parental responsibility, per child and consent type."""
    latest: dict[tuple[int, int, int], ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(organisation=organisation).order_by(
        "recorded_at", "pk"
    ):
        if ChildGuardian.objects.filter(
            child=record.child_id, guardian=record.guardian_id, parental_responsibility=True
        ).exists() and record.child.is_active_on(today):
            latest[(record.child_id, record.consent_type_id, record.guardian_id)] = record
    answers: dict[tuple[int, int], list[ConsentRecord]] = defaultdict(list)
    for (child, consent_type, _), record in latest.items():
        answers[(child, consent_type)].append(record)
    conflicts = expiring = 0
    for records in answers.values():
        live = [
            r
            for r in records
            if r.decision == "granted" and (r.valid_until is None or r.valid_until >= today)
        ]
        refused = [r for r in records if r.decision in {"refused", "withdrawn"}]
        if live and refused:
            conflicts += 1
        elif live:
            ends = [r.valid_until for r in live if r.valid_until is not None]
            expiring += bool(ends) and max(ends) <= today + dt.timedelta(days=30)
    unconsented = (
        ContactLog.objects.filter(
            organisation=organisation,
            consent_allowed=False,
            happened_at__gte=timezone.now() - relativedelta(years=1),
        )
        .values("child_id")
        .distinct()
        .count()
    )
    return {
        "Children with contact logged without consent": unconsented,
        "Consents where parents disagree": conflicts,
        "Consents running out within 30 days": expiring,
        "Open takedown tasks": TakedownTask.objects.filter(
            organisation=organisation, done_at__isnull=True
        ).count(),
    }


def incident_figures(organisation: Organisation) -> dict[str, int | str]:
    now = timezone.now()
    incidents = Incident.objects.filter(organisation=organisation)
    open_ = incidents.exclude(status=Status.CLOSED)
    hours = [
        (i.triaged_at - i.reported_at) / dt.timedelta(hours=1)
        for i in incidents.filter(
            triaged_at__isnull=False, reported_at__gte=now - relativedelta(years=1)
        )
    ]
    return {
        "Open incidents": open_.count(),
        "Open for over 30 days": open_.filter(reported_at__lt=now - dt.timedelta(days=30)).count(),
        "Waiting for triage": incidents.filter(status=Status.NEW).count(),
        "Average time to triage": f"{sum(hours) / len(hours):.1f} hours" if hours else "None yet",
        "Data breaches awaiting an ICO decision": incidents.filter(
            incident_type=IncidentType.DATA_BREACH, ico_decision=""
        ).count(),
    }


# What each role must have done (the portal's rule, written out again here).
REQUIRED = {
    "staff": {"safeguarding", "online_safety", "online_risks_therapy"},
    "dsl": {"safeguarding", "online_safety", "dsl_update"},
    "deputy_dsl": {"safeguarding", "online_safety", "dsl_update"},
    "director": {"safeguarding", "online_safety"},
    "admin": {"safeguarding", "online_safety"},
}


def training_gap_figure(organisation: Organisation, today: dt.date) -> dict[str, int]:
    lacking = 0
    for member in User.objects.filter(
        organisation=organisation, is_active=True, is_superuser=False
    ):
        needed = set(REQUIRED[member.role])
        if OnlineAccount.objects.filter(holders=member).exists():
            needed.add("online_presence")
        for kind in needed:
            record = (
                TrainingRecord.objects.filter(staff=member, kind=kind)
                .order_by("-completed_on")
                .first()
            )
            if record is None or record.refresh_due <= today:
                lacking += 1
                break
    return {"Staff missing training their role needs": lacking}


def practice_figures(organisation: Organisation, today: dt.date) -> dict[str, int]:
    unassessed = sum(
        not platform.assessments.filter(review_due__gte=today).exists()
        for platform in Platform.objects.filter(organisation=organisation, approved=True)
    )
    flagged = 0
    for account in OnlineAccount.objects.filter(organisation=organisation):
        year_ago = today - relativedelta(months=12)
        advice_old = account.advice_on is None or account.advice_on < year_ago
        holders = account.holders.filter(is_active=True).count()
        monitors = account.monitors.filter(is_active=True).count()
        flagged += holders < 2 or monitors < 2 or advice_old
    unattested = sum(
        not device.attestations.filter(attested_on__gt=today - relativedelta(months=12)).exists()
        for device in WorkDevice.objects.filter(organisation=organisation, retired_on__isnull=True)
    )
    return {
        "Platforms without a current risk assessment": unassessed,
        "Online accounts needing attention": flagged,
        "Work devices not attested": unattested,
        "Recurring tasks overdue": RecurringTask.objects.filter(
            organisation=organisation, active=True, next_due__lt=today
        ).count(),
        "Contacts that broke a practice rule": sum(
            bool(contact.breaches)
            for contact in ContactLog.objects.filter(
                organisation=organisation, happened_at__gte=timezone.now() - dt.timedelta(days=90)
            )
        ),
    }


def records_figures(organisation: Organisation, today: dt.date) -> dict[str, int]:
    sars = SubjectAccessRequest.objects.filter(organisation=organisation, completed_at__isnull=True)
    return {
        "Retention reviews due": RetentionReview.objects.filter(
            organisation=organisation, done_at__isnull=True, due_on__lte=today
        ).count(),
        "Subject access requests open": sars.count(),
        "Subject access requests overdue": sars.filter(due_on__lt=today).count(),
    }


def test_director_reads_the_demo_dashboard_and_downloads_the_board_report(
    page: Page, live_server
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    organisation = Organisation.objects.get(slug=DEMO_ORGANISATION["slug"])
    today = timezone.localdate()
    expected = {
        **policy_figures(organisation, today),
        **staff_figures(organisation, today),
        **consent_figures(organisation, today),
        **incident_figures(organisation),
        **records_figures(organisation, today),
        **training_gap_figure(organisation, today),
        **practice_figures(organisation, today),
    }
    # What the demo is written to show (incidents/demo.py, policies/demo.py, seed_demo):
    # four incidents, one closed, two new, one a data breach; one policy overdue and one
    # due in 31 to 60 days; the therapist's DBS re-check due within the month; the
    # invitee who never enrolled has no second factor.
    assert {
        k: expected[k]
        for k in (
            "Open incidents",
            "Waiting for triage",
            "Data breaches awaiting an ICO decision",
            "Open for over 30 days",
            "Policies overdue for review",
            "Policies due in 31 to 60 days",
            "DBS checks and training due within 30 days",
            "Staff without a second factor",
        )
    } == {
        "Open incidents": 3,
        "Waiting for triage": 2,
        "Data breaches awaiting an ICO decision": 1,
        "Open for over 30 days": 0,
        "Policies overdue for review": 1,
        "Policies due in 31 to 60 days": 1,
        "DBS checks and training due within 30 days": 1,
        "Staff without a second factor": 1,
    }
    # The demo's Instagram account has one holder: flagged (practice/demo.py).
    assert expected["Online accounts needing attention"] == 1
    assert expected["Platforms without a current risk assessment"] == 0
    # One video session without the second member of staff (practice/demo.py).
    assert expected["Contacts that broke a practice rule"] == 1

    base = live_server.url
    sign_in_demo(page, base, User.objects.get(email=DIRECTOR))
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page).to_have_url(f"{base}/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review-due dashboard")
    no_serious_violations(page)

    figures = page.locator("[data-figure]")
    expect(figures).to_have_count(len(expected))
    shown = {
        figure.get_attribute("data-figure"): figure.inner_text().strip() for figure in figures.all()
    }
    assert shown == {label: str(value) for label, value in expected.items()}

    # The chart is one image with a name a screen reader announces.
    chart = page.locator(".safeguard-chart > svg")
    expect(chart).to_have_attribute("role", "img")
    since = timezone.now() - relativedelta(months=12)
    raised = Incident.objects.filter(organisation=organisation, reported_at__gte=since).count()
    expect(chart).to_have_accessible_name(CHART_TITLE)
    expect(chart).to_have_accessible_description(
        re.compile(rf"^{raised} new incidents over the 12 months")
    )
    expect(page.get_by_role("img", name=re.compile(f"^{re.escape(CHART_TITLE)}"))).to_be_visible()

    # A figure leads to the aggregate table behind it, with the same total.
    page.get_by_role("link", name=re.compile(r"^\d+ Open incidents$")).click()
    expect(page).to_have_url(f"{base}/dashboard/tables/incidents-open/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open incidents by age and risk")
    no_serious_violations(page)
    table = page.locator('[data-table="incidents-open"]')
    all_row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="All", exact=True)
    )
    expect(all_row.get_by_role("cell").last).to_have_text(str(expected["Open incidents"]))

    # Back to the dashboard and download the board report for the prefilled quarter.
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review-due dashboard")
    start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    end = start + relativedelta(months=3) - dt.timedelta(days=1)
    expect(page.get_by_label("From", exact=True)).to_have_value(f"{start:%Y-%m-%d}")
    expect(page.get_by_label("To", exact=True)).to_have_value(f"{end:%Y-%m-%d}")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the board report (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"board-report-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
    reader = PdfReader(download.path())
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert f"Board report: {organisation.name}" in text
    assert f"Open incidents {expected['Open incidents']}" in text
    assert "prepared by Helen Marsh" in text
