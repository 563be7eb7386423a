"""The directors' review-due dashboard, the aggregate tables behind its
figures (HTML and CSV), and the board report PDF."""

import csv
import datetime as dt

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from safeguard import audit, dashboard
from safeguard.board_report import render_board_report_pdf
from safeguard.chart import stacked_bars
from safeguard.forms import DateInput
from safeguard.models import Role
from safeguard.pdf import pdf_response

DASHBOARD_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DSL, Role.DEPUTY_DSL})


def _require(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.role in DASHBOARD_ROLES):
        raise PermissionDenied


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=DateInput())
    end = forms.DateField(label="To", widget=DateInput())

    def clean(self) -> dict[str, object]:
        data = super().clean()
        for name in ("start", "end"):
            if data.get(name) and not dt.date(2000, 1, 1) <= data[name] <= dt.date(2100, 12, 31):
                self.add_error(name, "Choose a date between 2000 and 2100.")  # drops it from data
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", "The end must be on or after the start.")
            elif data["end"] - data["start"] > dt.timedelta(days=731):
                self.add_error("end", "Choose a period of up to two years.")
        return data


def dashboard_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    board = dashboard.dashboard_for(request.user.organisation)
    start, end = dashboard.quarter_of(board.today)
    return render(
        request,
        "safeguard/dashboard.html",
        {
            "board": board,
            "chart": stacked_bars(board.months, board.monthly),
            "period_form": PeriodForm(initial={"start": start, "end": end}),
        },
    )


def dashboard_table(request: HttpRequest, slug: str) -> HttpResponse:
    """The list behind a figure: an aggregate table, never the cases themselves."""
    _require(request)
    table = dashboard.dashboard_for(request.user.organisation).table(slug)
    if table is None:
        raise Http404
    return render(request, "safeguard/dashboard_table.html", {"table": table})


def dashboard_csv(request: HttpRequest, slug: str) -> HttpResponse:
    _require(request)
    table = dashboard.dashboard_for(request.user.organisation).table(slug)
    if table is None:
        raise Http404
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


def board_report(request: HttpRequest) -> HttpResponse:
    _require(request)
    board = dashboard.dashboard_for(request.user.organisation)
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request,
            "safeguard/dashboard.html",
            {
                "board": board,
                "chart": stacked_bars(board.months, board.monthly),
                "period_form": form,
            },
            status=400,
        )
    if form.is_bound:
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start, end = dashboard.quarter_of(board.today)
    period = dashboard.period_for(request.user.organisation, start, end)
    audit.record(
        action="dashboard.board_report",
        actor=request.user,
        request=request,
        details={"start": str(start), "end": str(end)},
    )
    content = render_board_report_pdf(
        board=board, period=period, by=request.user.full_name, at=timezone.now()
    )
    return pdf_response(content, f"board-report-{start:%Y%m%d}-{end:%Y%m%d}.pdf")
