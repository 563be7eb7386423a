"""The review-due dashboard against a data set small enough to count by hand,
its query count at two sizes, its tables as CSV, and the board report read back."""

import datetime as dt
import io

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from compliance import services as compliance
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentType, TakedownTask
from dashboard import figures as dashboard
from policies import services as policy_services
from policies.models import Acknowledgement
from practice.models import ContactLog
from records import subject_access
from records.models import RetentionReview
from tests.factories import (
    ChildFactory,
    ChildGuardianFactory,
    ConsentRecordFactory,
    IncidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def approved_policy(organisation, by, title, days_ago, audience=("staff",)):
    draft = policy_services.policy_create(
        organisation=organisation,
        by=by,
        title=title,
        category="online_safety",
        body="Text.",
        audience_roles=list(audience),
        owner=by,
    )
    policy_services.version_approve(
        draft=draft,
        by=by,
        approved_by_name="Helen Marsh",
        approved_on=today() - dt.timedelta(days=days_ago),
    )
    return draft


def guardian_of(child, name, responsibility=True):
    link = ChildGuardianFactory(
        child=child, guardian__full_name=name, parental_responsibility=responsibility
    )
    return link.guardian


def record(child, guardian, code, decision, valid_until=None, days_ago=0):
    return ConsentRecordFactory(
        child=child,
        guardian=guardian,
        consent_type=ConsentType.objects.get(organisation=child.organisation, code=code),
        decision=decision,
        valid_until=valid_until,
        recorded_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def incident(
    organisation,
    reporter,
    *,
    days_ago,
    risk,
    category,
    status="new",
    triage_hours=None,
    incident_type="other",
    disclosed_hours_ago=None,
):
    reported = timezone.now() - dt.timedelta(days=days_ago)
    disclosed = (
        timezone.now() - dt.timedelta(hours=disclosed_hours_ago)
        if disclosed_hours_ago
        else reported
    )
    return IncidentFactory(
        organisation=organisation,
        reference=f"OS-T-{days_ago}",
        reporter=reporter,
        reported_at=reported,
        occurred_at=reported,
        disclosed_at=disclosed,
        category=category,
        incident_type=incident_type,
        initial_risk=risk,
        status=status,
        triaged_at=reported + dt.timedelta(hours=triage_hours) if triage_hours else None,
    )


@pytest.fixture
def counted(organisation, alice, bob, dana, charlie):
    """A data set whose every figure can be counted by hand (see each comment)."""
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR, full_name="Dee")
    UserFactory(organisation=organisation, role=Role.STAFF, authenticator=False)  # no 2FA
    # Policies: one overdue, one due within 30 days, one in 31-60, one draft only.
    overdue = approved_policy(organisation, bob, "Overdue policy", 400)
    approved_policy(organisation, bob, "Due soon policy", 350)
    approved_policy(organisation, bob, "Later policy", 320)
    policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Draft only",
        category="online_safety",
        body="x",
        audience_roles=["staff"],
        owner=bob,
    )
    Acknowledgement.objects.create(version=overdue, user=alice)  # 1 of 2 staff have read it
    # Staff: alice has a current DBS check; everything else is missing.
    compliance.dbs_check_record(
        staff=alice,
        by=bob,
        level="enhanced_barred",
        issued_on=today() - dt.timedelta(days=30),
        update_service=False,
    )
    # Consent: three active children and one discharged.
    consent_services.consent_types_ensure(organisation=organisation)
    one, two, three = (ChildFactory(organisation=organisation) for _ in range(3))
    gone = ChildFactory(organisation=organisation, discharged_on=today() - dt.timedelta(days=5))
    g1 = guardian_of(one, "Parent One")
    record(one, g1, "online_sessions", "refused", days_ago=20)
    record(one, g1, "online_sessions", "granted", today() + dt.timedelta(days=200))  # latest wins
    g2a, g2b = guardian_of(two, "Parent Two A"), guardian_of(two, "Parent Two B")
    record(two, g2a, "online_sessions", "granted", today() + dt.timedelta(days=200))
    record(two, g2b, "online_sessions", "withdrawn")  # parents disagree
    g3 = guardian_of(three, "Parent Three")
    record(three, g3, "online_sessions", "granted", today() + dt.timedelta(days=10))  # expiring
    record(three, guardian_of(three, "Not PR", responsibility=False), "online_sessions", "refused")
    record(gone, guardian_of(gone, "Parent Gone"), "online_sessions", "granted")
    online = ConsentType.objects.get(organisation=organisation, code="online_sessions")
    for child, days in ((two, 1), (two, 3), (three, 700)):  # child two, twice; three too long ago
        ContactLog.objects.create(
            organisation=organisation,
            child=child,
            staff=alice,
            channel="video",
            happened_at=timezone.now() - dt.timedelta(days=days),
            consent_type=online,
            consent_allowed=False,
            consent_reason="No consent",
        )
    grant = ConsentRecord.objects.filter(child=one).last()
    TakedownTask.objects.create(
        organisation=organisation, child=one, record=grant, what="a", where="b", due_on=today()
    )
    TakedownTask.objects.create(
        organisation=organisation,
        child=one,
        record=grant,
        what="c",
        where="d",
        due_on=today(),
        done_at=timezone.now(),
    )
    # Incidents: open ones 2, 10 and 45 days old; closed ones don't count as open.
    incident(organisation, alice, days_ago=2, risk="high", category="contact")
    incident(
        organisation,
        alice,
        days_ago=10,
        risk="medium",
        category="conduct",
        status="triaged",
        triage_hours=4,
    )
    incident(
        organisation,
        alice,
        days_ago=40,
        risk="low",
        category="content",
        status="closed",
        triage_hours=2,
    )
    incident(
        organisation,
        alice,
        days_ago=45,
        risk="medium",
        category="commerce",
        status="action",
        incident_type="data_breach",
        disclosed_hours_ago=20,
    )
    incident(organisation, alice, days_ago=430, risk="low", category="content", status="closed")
    incident(charlie.organisation, charlie, days_ago=1, risk="high", category="contact")
    # Records: one review due, one SAR overdue and one due within a week.
    RetentionReview.objects.create(
        organisation=organisation,
        kind="contact_logs",
        object_type="x",
        object_id="1",
        description="x",
        due_on=today() - dt.timedelta(days=1),
    )
    subject_access.sar_record(
        organisation=organisation,
        requester="A",
        child=one,
        by=bob,
        received_on=today() - dt.timedelta(days=40),
    )
    subject_access.sar_record(
        organisation=organisation,
        requester="B",
        child=two,
        by=bob,
        received_on=today() - relativedelta(months=1) + dt.timedelta(days=3),
    )
    return director


def figures(board) -> dict[str, object]:
    """Each figure's headline, by its key."""
    return {f.key: f.value for f in board.figures}


def rows(board, slug) -> dict[object, list[object]]:
    return {row[0]: row[1:] for row in board.table(slug).rows}


def test_every_figure_matches_the_hand_built_data(organisation, counted):
    board = dashboard.dashboard_for(organisation)
    got = figures(board)
    # Three policies have a current version; the draft-only one is not in force.
    assert got["policies-overdue"] == "1 of 3"
    assert board.figure("policies-overdue").text == "1 of 3 policies in force is overdue for review"
    assert got["policies-due-30"] == "1 of 3"
    assert got["policies-due-60"] == "1 of 3"
    assert got["policy-drafts"] == "1"
    assert [row[0] for row in board.table("policies-overdue").rows] == ["Overdue policy"]
    assert rows(board, "policy-coverage")["Overdue policy v1"][:3] == [1, 2, "50%"]
    # Five active staff (alice, bob, dana, the director and the one without 2FA) each
    # need three things; only alice's DBS check is in place: 14 checks, 5 people.
    assert got["staff-checks"] == "5 of 5"
    assert (
        board.figure("staff-checks").text
        == "5 of 5 staff have a DBS check or training overdue or missing"
    )
    assert rows(board, "staff-checks")["DBS check"] == [4, 0]
    assert rows(board, "staff-checks")["Any of these (each person once)"] == [5, 0]
    assert got["staff-two-factor"] == "1 of 5"
    assert board.figure("staff-two-factor").text == "1 of 5 staff has no second factor"
    assert got["staff-dbs-lapsed"] == "0 of 5"
    coverage = rows(board, "consent-coverage")
    assert coverage["Online sessions and video calls"][:3] == [2, 3, "67%"]
    assert coverage["Voice messages"][:3] == [0, 3, "0%"]
    assert got["consent-coverage"] == "2 of 3"
    assert board.figure("consent-coverage").text.startswith(
        "2 of 3 active children have live consent for online sessions"
    )
    # Child two, twice in the last 30 days, counts once; child three's was too long ago.
    assert got["consent-gaps"] == "1 of 3"
    assert rows(board, "consent-gaps")["Any (each child once)"] == [1, 1]
    assert got["consent-conflicts"] == "1"
    assert board.figure("consent-conflicts").text == "1 consent where parents disagree"
    assert got["consent-expiring"] == "1"
    assert got["takedowns"] == "1"
    open_rows = rows(board, "incidents-open")
    assert open_rows["High"] == [1, 0, 0, 1]
    assert open_rows["Medium"] == [0, 1, 1, 2]
    assert open_rows["All"] == [1, 1, 1, 3]
    assert got["incidents-open"] == "3"
    assert got["incidents-open-long"] == "1 of 3"
    assert got["incidents-waiting"] == "1"
    assert rows(board, "incidents-triage")["The last 12 months"] == [2, "3 hours"]
    assert got["data-breaches"] == "1"
    assert board.table("data-breaches").rows[0][2].startswith("5")  # 51 or 52 hours left
    monthly = board.table("incidents-monthly")
    totals = [sum(row[n] for row in monthly.rows) for n in range(1, 7)]
    # Content, contact, conduct, commerce, personal data breaches; the old one is out.
    # The breach was filed under commerce: it counts as a breach, and only as one.
    assert totals == [1, 1, 1, 0, 1, 4]
    assert got["retention-reviews"] == "1"
    assert got["subject-access"] == "1 of 2"
    assert rows(board, "subject-access")["Subject access requests due within 7 days"] == [1]


def test_the_query_count_is_the_same_at_two_sizes(organisation, counted, alice, bob):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            dashboard.dashboard_for(organisation)
        return len(queries)

    from practice import services as practice

    first = practice.platform_add(organisation=organisation, name="First", kind="video", by=bob)
    practice.platform_assess(platform=first, by=bob, summary="x", assessed_on=today())
    practice.platform_approval_set(platform=first, approved=True, by=bob)
    practice.device_register(staff=alice, description="Phone", by=alice)
    practice.account_save(
        organisation=organisation,
        by=bob,
        platform="X",
        handle="@first",
        privacy="Private",
        holders=[bob],
        monitors=[bob],
    )
    breached(organisation, alice, ChildFactory(organisation=organisation), days_ago=1)
    small = count()
    online = ConsentType.objects.get(organisation=organisation, code="online_sessions")
    for n in range(15):
        child = ChildFactory(organisation=organisation)
        parent = guardian_of(child, f"Parent {n}")
        record(child, parent, "online_sessions", "granted", today() + dt.timedelta(days=90))
        ContactLog.objects.create(
            organisation=organisation,
            child=child,
            staff=alice,
            channel="video",
            happened_at=timezone.now(),
            consent_type=online,
            consent_allowed=False,
            consent_reason="x",
            breaches=[{"code": "no_second_staff", "message": "No second member of staff."}],
            override_reason="Off sick.",
        )
        incident(organisation, alice, days_ago=100 + n, risk="low", category="conduct")
        UserFactory(organisation=organisation)
    for n in range(3):
        approved_policy(organisation, bob, f"Extra {n}", 10)
    # Online practice registers grow too (each already has a row at the small size).
    from practice import services as practice

    for n in range(4):
        platform = practice.platform_add(
            organisation=organisation, name=f"Extra {n}", kind="video", by=bob
        )
        practice.platform_assess(platform=platform, by=bob, summary="x", assessed_on=today())
        practice.platform_approval_set(platform=platform, approved=True, by=bob)
        practice.device_register(staff=alice, description=f"Phone {n}", by=alice)
        practice.account_save(
            organisation=organisation,
            by=bob,
            platform="X",
            handle=f"@{n}",
            privacy="Private",
            holders=[bob],
            monitors=[bob],
        )
    assert count() == small


def test_directors_see_the_page_and_follow_a_figure_to_its_table(
    organisation, counted, alice, client_for
):
    client = client_for(counted)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/dashboard/tables/incidents-open/"' in html
    assert '<title id="chart-title">' in html
    assert 'aria-labelledby="chart-title" aria-describedby="chart-desc"' in html
    assert "OS-T-" not in html  # no case detail
    table = client.get("/dashboard/tables/incidents-open/")
    assert table.status_code == 200
    assert "Open incidents by age and risk" in table.content.decode()
    assert client.get("/dashboard/tables/nonsense/").status_code == 404
    assert client_for(alice).get("/dashboard/").status_code == 403


def test_tables_download_as_csv_without_formulas(organisation, counted, bob, client_for):
    approved_policy(organisation, bob, '=HYPERLINK("http://evil")', 1)
    response = client_for(counted).get("/dashboard/tables/policy-coverage.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0] == "Policy,Read,Audience,Coverage"
    assert "'=HYPERLINK" in text


def test_the_board_report_reads_back_with_its_figures(organisation, counted, bob, client_for):
    approved_policy(organisation, bob, "Photography policy", 0)
    start, end = dashboard.quarter_of(today())
    response = client_for(counted).get(f"/dashboard/board-report.pdf?start={start}&end={end}")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Board report:" in text
    assert "1 of 4 policies in force is overdue for review" in text  # with the new one
    assert "1 consent where parents disagree" in text
    assert "5 of 5 staff have a DBS check or training overdue or missing" in text
    assert "Photography policy v1" in text  # approved in the period
    assert "Overdue policy" in text
    assert "Page 1 of" in text


def test_a_bad_period_is_explained(counted, client_for):
    response = client_for(counted).get(
        "/dashboard/board-report.pdf?start=2026-12-01&end=2026-01-01"
    )
    assert response.status_code == 400
    assert "The end must be on or after the start." in response.content.decode()
    response = client_for(counted).get("/dashboard/board-report.pdf?start=nonsense&end=")
    assert response.status_code == 400


NO_SECOND = {"code": "no_second_staff", "message": "No second member of staff."}
NO_PASSCODE = {"code": "no_passcode", "message": "The meeting had no passcode."}


def breached(organisation, staff, child, *, days_ago, breaches=(NO_SECOND,), **fields):
    return ContactLog.objects.create(
        organisation=organisation,
        child=child,
        staff=staff,
        channel="video",
        happened_at=timezone.now() - dt.timedelta(days=days_ago),
        consent_allowed=True,
        consent_reason="Consent in place.",
        breaches=list(breaches),
        **fields,
    )


@pytest.fixture
def breaches(organisation, alice):
    """Two contacts broke a rule in the last 90 days (three breaches of two rules),
    one broke a rule 120 days ago, one kept every rule."""
    noor = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    theo = ChildFactory(organisation=organisation, first_name="Theo", last_name="Brennan")
    breached(
        organisation,
        alice,
        noor,
        days_ago=3,
        breaches=[NO_SECOND, NO_PASSCODE],
        override_reason="The second therapist was off sick.",
    )
    breached(organisation, alice, theo, days_ago=10, unsolicited=True)
    breached(organisation, alice, theo, days_ago=120, override_reason="Long ago.")
    breached(organisation, alice, noor, days_ago=1, breaches=[])
    return noor, theo


def test_contacts_that_broke_a_rule_are_counted_per_rule_and_listed(organisation, breaches):
    board = dashboard.dashboard_for(organisation)
    figure = board.figure("practice-breaches")
    assert (figure.count, figure.warn, figure.table) == (2, True, "practice-breach-rules")
    assert figure.text == "2 contacts broke a practice rule (last 90 days)"
    assert board.table("practice-breach-rules").rows == [
        ["No second member of staff", 2],
        ["No meeting passcode", 1],
    ]
    listed = board.table("practice-breaches")
    assert listed.case_detail
    assert [row[1:] for row in listed.rows] == [
        [
            "Noor Hassan",
            "Alice Adeyemi",
            "No second member of staff. The meeting had no passcode.",
            "The second therapist was off sick.",
        ],
        [
            "Theo Brennan",
            "Alice Adeyemi",
            "No second member of staff.",
            "Unsolicited: the child made contact",
        ],
    ]


def test_no_breaches_is_no_warning(organisation, alice):
    breached(organisation, alice, ChildFactory(organisation=organisation), days_ago=1, breaches=[])
    figure = dashboard.dashboard_for(organisation).figure("practice-breaches")
    assert (figure.count, figure.warn) == (0, False)


def test_only_those_who_see_every_child_open_the_contacts_and_it_is_audited(
    organisation, counted, breaches, dana, client_for
):
    director = client_for(counted)
    page = director.get("/dashboard/").content.decode()
    assert 'href="/dashboard/tables/practice-breach-rules/"' in page
    assert "Noor Hassan" not in page
    assert 'data-case-table="practice-breaches"' not in page
    assert (
        "No second member of staff"
        in director.get("/dashboard/tables/practice-breach-rules/").content.decode()
    )
    assert director.get("/dashboard/tables/practice-breaches/").status_code == 403
    assert director.get("/dashboard/tables/practice-breaches.csv").status_code == 403
    assert not AuditEvent.objects.filter(action="dashboard.cases_viewed").exists()

    lead = client_for(dana)
    page = lead.get("/dashboard/").content.decode()
    assert 'data-case-table="practice-breaches"' in page
    assert "Noor Hassan" not in page  # a link to the list, not the list
    table = lead.get("/dashboard/tables/practice-breaches/").content.decode()
    assert "Noor Hassan" in table
    assert "The second therapist was off sick." in table
    csv_text = lead.get("/dashboard/tables/practice-breaches.csv").content.decode()
    assert csv_text.splitlines()[0] == "Date,Child,Staff,Rules broken,Reason given"
    assert "Theo Brennan" in csv_text
    events = AuditEvent.objects.filter(action="dashboard.cases_viewed", actor=dana)
    assert sorted(event.details["csv"] for event in events) == [False, True]


def test_the_board_report_counts_the_periods_breaches_per_rule_without_names(
    organisation, counted, breaches, client_for
):
    end = today()
    start = end - dt.timedelta(days=30)
    response = client_for(counted).get(f"/dashboard/board-report.pdf?start={start}&end={end}")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Contacts that broke a practice rule in the period: 2." in text
    assert "No second member of staff 2" in text
    assert "No meeting passcode 1" in text
    assert "Noor Hassan" not in text
    assert "Theo Brennan" not in text
    # A period before any of them counts none.
    old = end - dt.timedelta(days=400)
    period = dashboard.period_for(organisation, old, old + dt.timedelta(days=30))
    assert (period.contact_breaches, period.breaches_per_rule) == (0, [])
