"""The dashboard as a director or admin reads it: what needs attention first,
figures in people and "n of N" with last month beside them, each figure's own
table, the staff behind the figures named for admins and never for directors,
the board's commentary in the board report, and the lead's own title."""

import datetime as dt
import io
import re
from html import escape

import pytest
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from compliance import services as compliance
from consent import services as consent_services
from dashboard import figures as dashboard
from dashboard.models import BoardCommentary
from dashboard.snapshot import current_dashboard
from dashboard.wording import duration
from tests.dashboard.test_dashboard import breached, guardian_of, record
from tests.factories import ChildFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_durations_read_as_a_person_says_them():
    assert duration(0.3) == "under an hour"
    assert duration(1.2) == "1 hour"
    assert duration(3) == "3 hours"
    assert duration(47) == "47 hours"
    assert duration(50) == "2 days"
    assert duration(24 * 7) == "7 days"


@pytest.fixture
def lapsed(organisation, bob):
    """A member of staff whose DBS check was due again four months ago."""
    larry = UserFactory(organisation=organisation, full_name="Larry Lapsed")
    compliance.dbs_check_record(
        staff=larry,
        by=bob,
        level="enhanced_barred",
        issued_on=timezone.localdate() - relativedelta(months=40),
        update_service=False,
    )
    return larry


def test_the_strip_lists_what_needs_acting_on_first(organisation, counted, lapsed, client_for):
    board = dashboard.dashboard_for(organisation)
    items = {item.key: item for item in board.attention}
    assert list(items) == ["policies-overdue", "ico-deadlines", "staff-dbs-lapsed", "consent-gaps"]
    assert items["policies-overdue"].text == "1 of 3 policies in force is overdue for review"
    assert items["policies-overdue"].table == "policies-overdue"
    ico = items["ico-deadlines"]
    assert ico.count == 1
    assert ico.text.startswith("1 personal data breach waiting for the decision")
    assert re.match(r"5\d hours \d+ minutes? left to decide whether to report", ico.lines[0])
    # Six staff now: Larry's check lapsed; missing checks are not lapsed ones.
    assert items["staff-dbs-lapsed"].text == "1 of 6 staff has a DBS check that has lapsed"
    assert items["consent-gaps"].count == 1
    assert items["consent-gaps"].text.startswith(
        "1 of 3 active children had a contact logged without the consent it needed"
    )

    html = client_for(counted).get("/dashboard/").content.decode()
    strip = html.index("data-attention")
    assert strip < html.index("data-section=")  # above every figure
    for item in items.values():
        assert f'data-attention-item="{item.key}"' in html
        assert f'href="/dashboard/tables/{item.table}/"' in html[strip:]
    assert "left to decide whether to report to the ICO" in html
    assert "Nothing needs attention" not in html


def test_nothing_needs_attention_is_said(organisation, director, client_for):
    assert dashboard.dashboard_for(organisation).attention == []
    html = client_for(director).get("/dashboard/").content.decode()
    assert "Nothing needs attention" in html
    assert "data-attention-item" not in html


def words(text: str) -> set[str]:
    common = {"staff", "active", "children", "with", "that", "have", "this", "last", "within"}
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3} - common


def test_each_figure_links_to_its_own_table_about_it(organisation, counted, breaches, client_for):
    board = dashboard.dashboard_for(organisation)
    tables = [figure.table for figure in board.figures]
    assert len(tables) == len(set(tables)), "two figures share a table"
    client = client_for(counted)
    html = client.get("/dashboard/").content.decode()
    for figure in board.figures:
        table = board.table(figure.table)
        assert table is not None, figure.key
        assert not table.names_people, figure.key  # a director can open it
        shared = words(figure.label) & words(table.caption)
        assert len(shared) >= 2, (figure.text, table.caption)
        link = f'href="/dashboard/tables/{figure.table}/" data-figure-table="{figure.table}"'
        assert link in html, figure.key
        page = client.get(f"/dashboard/tables/{figure.table}/")
        assert page.status_code == 200, figure.key
        assert escape(table.caption, quote=False) in page.content.decode(), figure.key
    # The tables sit collapsed under their figures, one block per section.
    assert html.count('<details class="govuk-details" data-tables=') == len(board.sections)


def test_figures_count_people_with_correct_plurals(organisation, counted):
    board = dashboard.dashboard_for(organisation)
    # 14 checks are overdue or missing, held by 5 people.
    assert board.figure("staff-checks").count == 5
    assert board.figure("staff-two-factor").text == "1 of 5 staff has no second factor"
    assert board.figure("incidents-waiting").text == "1 incident waiting for triage"
    assert board.figure("incidents-open").text == "3 incidents open"


def test_time_to_triage_beside_last_month(organisation, alice):
    now = timezone.now().replace(day=15, hour=12, minute=0, second=0, microsecond=0)

    def raised(reported: dt.datetime, triaged: dt.datetime | None, reference: str) -> None:
        IncidentFactory(
            organisation=organisation,
            reporter=alice,
            reference=reference,
            reported_at=reported,
            occurred_at=reported,
            disclosed_at=reported,
            status="triaged" if triaged else "new",
            triaged_at=triaged,
        )

    raised(now - dt.timedelta(hours=3), now - dt.timedelta(hours=1), "OS-1")
    earlier = now - dt.timedelta(days=20)  # the 25th or so of last month
    raised(earlier, earlier + dt.timedelta(minutes=20), "OS-2")
    board = dashboard.dashboard_for(organisation, now)
    triage = board.figure("incidents-triage-time")
    assert triage.text == "2 hours on average to triage an incident (this month so far)"
    assert triage.compared == "Last month: under an hour."
    raised_figure = board.figure("incidents-raised")
    assert raised_figure.text == "1 incident raised this month so far"
    assert raised_figure.compared == "Last month: 1 incident."

    nothing = dashboard.dashboard_for(organisation, now + relativedelta(months=2))
    none = nothing.figure("incidents-triage-time")
    assert none.text == "No incidents triaged this period (this month so far)"
    assert none.compared == "Last month: no incidents triaged."
    assert all("0.0" not in figure.text for figure in nothing.figures)


def test_consent_coverage_and_training_beside_the_end_of_last_month(organisation):
    consent_services.consent_types_ensure(organisation=organisation)
    long_ago = timezone.now() - relativedelta(months=3)
    renewed = timezone.localdate() + dt.timedelta(days=200)
    # Granted before this month; granted only this month; new this month.
    before, lately = (ChildFactory(organisation=organisation, created_at=long_ago) for _ in "ab")
    ChildFactory(organisation=organisation)
    record(before, guardian_of(before, "Parent A"), "online_sessions", "granted", renewed, 60)
    record(lately, guardian_of(lately, "Parent B"), "online_sessions", "granted", renewed)
    board = dashboard.dashboard_for(organisation)
    coverage = board.figure("consent-coverage")
    assert coverage.text == (
        "2 of 3 active children have live consent for online sessions and video calls"
    )
    assert coverage.compared == "At the end of last month: 1 of 2."
    assert board.figure("staff-training").compared.startswith("At the end of last month: ")


def test_admins_see_the_names_behind_staff_figures_and_directors_never(
    organisation, counted, lapsed, bob, dana, client_for
):
    UserFactory(organisation=organisation, full_name="Nora Nofactor", authenticator=False)
    names = ("Nora Nofactor", "Larry Lapsed", "Alice Adeyemi")
    admin = client_for(bob)
    page = admin.get("/dashboard/").content.decode()
    for slug in ("staff-checks-names", "staff-dbs-names", "training-gaps-names"):
        assert f'data-names-table="{slug}"' in page
    assert not any(name in page for name in names)  # links to the names, not the names
    assert "Nora Nofactor" in admin.get("/dashboard/tables/two-factor-names/").content.decode()
    assert "Larry Lapsed" in admin.get("/dashboard/tables/staff-dbs-names/").content.decode()
    training = admin.get("/dashboard/tables/training-gaps-names/").content.decode()
    assert "Alice Adeyemi" in training
    assert "Larry Lapsed" in admin.get("/dashboard/tables/staff-checks-names.csv").content.decode()

    # The names were read fresh: the kept dashboard holds none.
    board = current_dashboard(organisation)
    assert board.snapshot_key is not None
    kept = repr(cache.get(board.snapshot_key))
    assert not any(name in kept for name in names)

    director = client_for(counted)
    html = director.get("/dashboard/").content.decode()
    assert "data-names-table" not in html
    for slug in ("two-factor", "staff-dbs", "training-gaps", "staff-checks"):
        html += director.get(f"/dashboard/tables/{slug}/").content.decode()
        assert director.get(f"/dashboard/tables/{slug}-names/").status_code == 403
        assert director.get(f"/dashboard/tables/{slug}-names.csv").status_code == 403
    assert not any(name in html for name in names)
    report = director.get("/dashboard/board-report.pdf").content
    assert not any(name in pdf_text(report) for name in names)
    # A lead sees every child but chases no staff: no names either.
    assert client_for(dana).get("/dashboard/tables/two-factor-names/").status_code == 403


def test_commentary_is_kept_in_versions_and_printed_in_the_board_report(
    organisation, counted, bob, alice, dana, client_for
):
    start, end = dashboard.quarter_of(timezone.localdate())
    period = {"start": f"{start}", "end": f"{end}"}
    director, admin = client_for(counted), client_for(bob)
    first = director.post("/dashboard/commentary/", {**period, "text": "First thoughts."})
    assert first.status_code == 302
    latest = "The board should note the overdue policy review.\n\nAll else is in hand."
    admin.post("/dashboard/commentary/", {**period, "text": latest})
    versions = BoardCommentary.objects.filter(organisation=organisation).order_by("pk")
    assert [v.text for v in versions] == ["First thoughts.", latest]
    assert [v.written_by for v in versions] == [counted, bob]
    events = AuditEvent.objects.filter(action="dashboard.commentary_saved").order_by("seq")
    assert [e.details["version"] for e in events] == [1, 2]

    page = director.get("/dashboard/").content.decode()
    assert "The board should note the overdue policy review." in page
    history = director.get(f"/dashboard/commentary/?start={start}&end={end}").content.decode()
    assert "First thoughts." in history
    assert "All else is in hand." in history

    text = pdf_text(director.get(f"/dashboard/board-report.pdf?start={start}&end={end}").content)
    assert "Commentary The board should note the overdue policy review. All else is in hand." in (
        text
    )
    assert "Written by Bob Bennett" in text
    assert "First thoughts." not in text
    other = end + dt.timedelta(days=1)
    text = pdf_text(director.get(f"/dashboard/board-report.pdf?start={other}&end={other}").content)
    assert "No commentary was written for this period." in text

    # Nobody else writes it; nothing empty is saved.
    for person in (alice, dana):
        client = client_for(person)
        assert client.get("/dashboard/commentary/").status_code == 403
        assert client.post("/dashboard/commentary/", {**period, "text": "x"}).status_code == 403
    empty = director.post("/dashboard/commentary/", {**period, "text": "   "})
    assert empty.status_code == 400
    backwards = director.post(
        "/dashboard/commentary/", {"start": f"{end}", "end": f"{start}", "text": "x"}
    )
    assert "The end must be on or after the start." in backwards.content.decode()
    assert BoardCommentary.objects.count() == 2


def test_the_board_report_names_the_lead_as_the_organisation_does(
    organisation, director, alice, client_for
):
    breached(organisation, alice, ChildFactory(organisation=organisation), days_ago=1)
    organisation.safeguarding_title = "person"
    organisation.save()
    end = timezone.localdate()
    url = f"/dashboard/board-report.pdf?start={end - dt.timedelta(days=30)}&end={end}"
    text = pdf_text(client_for(director).get(url).content)
    assert "and the DSP was told" in text
    assert "DSL" not in text
