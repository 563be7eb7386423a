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
from children.models import Child, ChildGuardian
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


def of(n: int, total: int) -> str:
    return f"{n} of {total}"


def policy_figures(organisation: Organisation, today: dt.date) -> dict[str, str]:
    """Each policy's latest approved version and its review date (the demo records no reviews)."""
    overdue = due_30 = due_60 = drafts = in_force = 0
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
        in_force += 1
        if current.review_due < today:
            overdue += 1
        elif current.review_due <= today + dt.timedelta(days=30):
            due_30 += 1
        elif current.review_due <= today + dt.timedelta(days=60):
            due_60 += 1
    return {
        "policies-overdue": of(overdue, in_force),
        "policies-due-30": of(due_30, in_force),
        "policies-due-60": of(due_60, in_force),
        "policy-drafts": str(drafts),
    }


def staff_figures(organisation: Organisation, today: dt.date) -> dict[str, str]:
    """People, not checks: each person once, however many of their checks are late."""
    staff = list(User.objects.filter(organisation=organisation, is_active=True, is_superuser=False))
    late = lapsed = 0
    for member in staff:
        check = DBSCheck.objects.filter(staff=member).order_by("-issued_on").first()
        dues = [check.next_check_due(organisation.dbs_recheck_months) if check else None]
        lapsed += bool(check) and dues[0] <= today
        for kind in (TrainingKind.SAFEGUARDING, TrainingKind.ONLINE_SAFETY):
            record = (
                TrainingRecord.objects.filter(staff=member, kind=kind)
                .order_by("-completed_on")
                .first()
            )
            dues.append(record.refresh_due if record else None)
        late += any(due is None or due <= today for due in dues)
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    no_2fa = User.objects.filter(pk__in=[m.pk for m in staff]).exclude(Exists(enrolled)).count()
    return {
        "staff-checks": of(late, len(staff)),
        "staff-dbs-lapsed": of(lapsed, len(staff)),
        "staff-two-factor": of(no_2fa, len(staff)),
    }


def consent_figures(organisation: Organisation, today: dt.date) -> dict[str, str]:
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
    conflicts = expiring = covered = 0
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
            covered += records[0].consent_type.code == "online_sessions"
            ends = [r.valid_until for r in live if r.valid_until is not None]
            expiring += bool(ends) and max(ends) <= today + dt.timedelta(days=30)
    active = [c for c in Child.objects.filter(organisation=organisation) if c.is_active_on(today)]
    unconsented = (
        ContactLog.objects.filter(
            organisation=organisation,
            consent_allowed=False,
            happened_at__gte=timezone.now() - dt.timedelta(days=30),
            child__in=[c.pk for c in active],
        )
        .values("child_id")
        .distinct()
        .count()
    )
    return {
        "consent-coverage": of(covered, len(active)),
        "consent-gaps": of(unconsented, len(active)),
        "consent-conflicts": str(conflicts),
        "consent-expiring": str(expiring),
        "takedowns": str(
            TakedownTask.objects.filter(organisation=organisation, done_at__isnull=True).count()
        ),
    }


def incident_figures(organisation: Organisation) -> dict[str, str]:
    now = timezone.now()
    month = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    incidents = Incident.objects.filter(organisation=organisation)
    open_ = incidents.exclude(status=Status.CLOSED)
    long_open = open_.filter(reported_at__lt=now - dt.timedelta(days=30)).count()
    return {
        "incidents-raised": str(incidents.filter(reported_at__gte=month).count()),
        "incidents-open": str(open_.count()),
        "incidents-open-long": of(long_open, open_.count()),
        "incidents-waiting": str(incidents.filter(status=Status.NEW).count()),
        "data-breaches": str(
            incidents.filter(incident_type=IncidentType.DATA_BREACH, ico_decision="").count()
        ),
    }


# What each role must have done (the portal's rule, written out again here).
REQUIRED = {
    "staff": {"safeguarding", "online_safety", "online_risks_therapy"},
    "dsl": {"safeguarding", "online_safety", "dsl_update"},
    "deputy_dsl": {"safeguarding", "online_safety", "dsl_update"},
    "director": {"safeguarding", "online_safety"},
    "admin": {"safeguarding", "online_safety"},
}


def training_gap_figure(organisation: Organisation, today: dt.date) -> dict[str, str]:
    lacking = 0
    staff = User.objects.filter(organisation=organisation, is_active=True, is_superuser=False)
    for member in staff:
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
    return {"staff-training": of(lacking, staff.count())}


def practice_figures(organisation: Organisation, today: dt.date) -> dict[str, str]:
    approved = Platform.objects.filter(organisation=organisation, approved=True)
    unassessed = sum(
        not platform.assessments.filter(review_due__gte=today).exists() for platform in approved
    )
    flagged = 0
    accounts = OnlineAccount.objects.filter(organisation=organisation)
    for account in accounts:
        year_ago = today - relativedelta(months=12)
        advice_old = account.advice_on is None or account.advice_on < year_ago
        holders = account.holders.filter(is_active=True).count()
        monitors = account.monitors.filter(is_active=True).count()
        flagged += holders < 2 or monitors < 2 or advice_old
    devices = WorkDevice.objects.filter(organisation=organisation, retired_on__isnull=True)
    unattested = sum(
        not device.attestations.filter(attested_on__gt=today - relativedelta(months=12)).exists()
        for device in devices
    )
    tasks = RecurringTask.objects.filter(organisation=organisation, active=True)
    return {
        "practice-platforms": of(unassessed, approved.count()),
        "practice-accounts": of(flagged, accounts.count()),
        "practice-devices": of(unattested, devices.count()),
        "practice-tasks": of(tasks.filter(next_due__lt=today).count(), tasks.count()),
        "practice-breaches": str(
            sum(
                bool(contact.breaches)
                for contact in ContactLog.objects.filter(
                    organisation=organisation,
                    happened_at__gte=timezone.now() - dt.timedelta(days=90),
                )
            )
        ),
    }


def records_figures(organisation: Organisation, today: dt.date) -> dict[str, str]:
    sars = SubjectAccessRequest.objects.filter(organisation=organisation, completed_at__isnull=True)
    return {
        "retention-reviews": str(
            RetentionReview.objects.filter(
                organisation=organisation, done_at__isnull=True, due_on__lte=today
            ).count()
        ),
        "subject-access": of(sars.filter(due_on__lt=today).count(), sars.count()),
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
    # due in 31 to 60 days; the invitee who never enrolled has no second factor.
    assert expected["incidents-open"] == "3"
    assert expected["incidents-waiting"] == "2"
    assert expected["data-breaches"] == "1"
    assert expected["incidents-open-long"] == "0 of 3"
    assert expected["policies-overdue"].startswith("1 of ")
    assert expected["policies-due-60"].startswith("1 of ")
    assert expected["staff-two-factor"].startswith("1 of ")
    # The demo's Instagram account has one holder: flagged (practice/demo.py).
    assert expected["practice-accounts"].startswith("1 of ")
    assert expected["practice-platforms"].startswith("0 of ")
    # One video session without the second member of staff (practice/demo.py).
    assert expected["practice-breaches"] == "1"

    base = live_server.url
    sign_in_demo(page, base, User.objects.get(email=DIRECTOR))
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page).to_have_url(f"{base}/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review-due dashboard")
    no_serious_violations(page)

    # What needs attention is in the first screen, above every figure.
    page.set_viewport_size({"width": 1280, "height": 800})
    strip = page.locator("[data-attention]")
    expect(strip).to_be_in_viewport()
    box = strip.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 800
    expect(strip.locator('[data-attention-item="policies-overdue"]')).to_be_visible()
    expect(strip.locator("[data-ico-countdown]")).to_contain_text("to report to the ICO")

    figures = page.locator("[data-figure]")
    # Every figure below, and one more: the time to triage, a duration.
    expect(figures).to_have_count(len(expected) + 1)
    shown = {
        figure.get_attribute("data-figure"): figure.inner_text().strip() for figure in figures.all()
    }
    del shown["incidents-triage-time"]
    assert shown == expected
    # The tables sit folded under their figures: the first screen is the figures.
    expect(page.locator('[data-table="incidents-open"]')).to_be_hidden()

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
    page.locator('[data-figure-table="incidents-open"]').click()
    expect(page).to_have_url(f"{base}/dashboard/tables/incidents-open/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open incidents by age and risk")
    no_serious_violations(page)
    table = page.locator('[data-table="incidents-open"]')
    all_row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="All", exact=True)
    )
    expect(all_row.get_by_role("cell").last).to_have_text(expected["incidents-open"])

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
    assert f"{expected['incidents-open']} incidents open" in text
    assert "prepared by Helen Marsh" in text
