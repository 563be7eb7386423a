"""The directors' review-due dashboard, the aggregate tables behind its
figures (HTML and CSV), and the board report PDF."""

import csv
import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import AuthedRequest
from accounts.models import LEAD_ROLES, Role
from accounts.permissions import is_admin, staff_visible_to
from audit import services as audit
from children.permissions import children_visible_to, sees_all_children
from common.db_router import reads_from_replica
from common.forms import DateInput
from common.pdf import pdf_response
from dashboard import figures as dashboard
from dashboard.board_report import render_board_report_pdf
from dashboard.snapshot import current_dashboard, rendered_sections

DASHBOARD_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN, *LEAD_ROLES})


def _require(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.role in DASHBOARD_ROLES):
        raise PermissionDenied


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=DateInput())
    end = forms.DateField(label="To", widget=DateInput())

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("start", "end"):
            if data.get(name) and not dt.date(2000, 1, 1) <= data[name] <= dt.date(2100, 12, 31):
                self.add_error(name, "Choose a date between 2000 and 2100.")  # drops it from data
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", "The end must be on or after the start.")
            elif data["end"] - data["start"] > dt.timedelta(days=731):
                self.add_error("end", "Choose a period of up to two years.")
        return data


@reads_from_replica()
def dashboard_view(request: AuthedRequest) -> HttpResponse:
    _require(request)
    board = current_dashboard(request.user.organisation)
    start, end = dashboard.quarter_of(board.today)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "board": board,
            "sections": rendered_sections(
                request, board, sees_cases=sees_all_children(request.user)
            ),
            "period_form": PeriodForm(initial={"start": start, "end": end}),
        },
    )


def _table_for(request: AuthedRequest, slug: str, *, csv: bool) -> dashboard.Table:
    """The table behind a figure. A table naming children opens only for those
    who see every child (a director sees the counts per rule), and its reading
    is audited as a chronology's is."""
    _require(request)
    board = current_dashboard(request.user.organisation)
    table = board.table(slug)
    if table is None:
        raise Http404
    if table.case_detail:
        if not sees_all_children(request.user):
            raise PermissionDenied
        # Read fresh, as of the same minute: kept dashboards hold no names.
        table = dashboard.case_table(request.user.organisation, slug, board.as_of) or table
        audit.record(
            action="dashboard.cases_viewed",
            actor=request.user,
            details={"table": slug, "csv": csv, "rows": len(table.rows)},
        )
    return table


@reads_from_replica()
def dashboard_table(request: AuthedRequest, slug: str) -> HttpResponse:
    """The list behind a figure: an aggregate table, or for those who see every
    child, the contacts that broke a practice rule."""
    table = _table_for(request, slug, csv=False)
    return render(request, "dashboard/dashboard_table.html", {"table": table})


@reads_from_replica()
def dashboard_csv(request: AuthedRequest, slug: str) -> HttpResponse:
    table = _table_for(request, slug, csv=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{slug}-{timezone.localdate():%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(table.headers)
    for row in table.rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow([f"'{cell}" if str(cell)[:1] in "=+-@" else cell for cell in row])
    return response


@reads_from_replica()
def board_report(request: AuthedRequest) -> HttpResponse:
    _require(request)
    board = current_dashboard(request.user.organisation)
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request,
            "dashboard/dashboard.html",
            {
                "board": board,
                "sections": rendered_sections(
                    request, board, sees_cases=sees_all_children(request.user)
                ),
                "period_form": form,
            },
            status=400,
        )
    if form.is_bound:
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start, end = dashboard.quarter_of(board.today)
    period = dashboard.period_for(request.user.organisation, start, end)
    content = render_board_report_pdf(
        board=board, period=period, by=request.user.full_name, at=timezone.now()
    )
    # Recorded once the PDF exists: a report that failed was given to nobody.
    audit.record(
        action="dashboard.board_report",
        actor=request.user,
        details={"start": str(start), "end": str(end)},
    )
    return pdf_response(content, f"board-report-{start:%Y%m%d}-{end:%Y%m%d}.pdf")


def home(request: AuthedRequest) -> HttpResponse:
    """Where to start: what is waiting for this person, in their own words."""
    user = request.user
    visible = children_visible_to(user).active(timezone.localdate())
    context = {
        "children_count": visible.count(),
        "unallocated": visible.unallocated().count() if sees_all_children(user) else None,
        "sees_all": sees_all_children(user),
        "not_set_up": (
            staff_visible_to(user).active().without_second_factor().count()
            if is_admin(user)
            else None
        ),
    }
    return render(request, "dashboard/home.html", context)
