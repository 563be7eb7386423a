"""The directors' review-due dashboard, the tables behind its figures (HTML
and CSV), the board's commentary and the board report PDF."""

import csv
import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.http import AuthedRequest
from accounts.models import LEAD_ROLES, Role
from accounts.permissions import is_admin, staff_visible_to
from audit import services as audit
from children.permissions import children_visible_to, sees_all_children
from common.db_router import reads_from_replica
from common.forms import DateInput, service_errors_onto
from common.pdf import pdf_response
from dashboard import figures as dashboard
from dashboard.board_report import render_board_report_pdf
from dashboard.commentary import (
    commentary_latest,
    commentary_save,
    commentary_versions,
    may_write_commentary,
)
from dashboard.snapshot import current_dashboard, rendered_sections

DASHBOARD_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN, *LEAD_ROLES})


def _require(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.role in DASHBOARD_ROLES):
        raise PermissionDenied


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("start", "end"):
            if data.get(name) and not dt.date(2000, 1, 1) <= data[name] <= dt.date(2100, 12, 31):
                # add_error drops it from data
                self.add_error(name, gettext("Choose a date between 2000 and 2100."))
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", gettext("The end must be on or after the start."))
            elif data["end"] - data["start"] > dt.timedelta(days=731):
                self.add_error("end", gettext("Choose a period of up to two years."))
        return data


class CommentaryForm(PeriodForm):
    text = forms.CharField(
        label=gettext_lazy("Commentary for the board"),
        help_text=gettext_lazy(
            "Printed in the board report for this period. Saving again keeps the earlier "
            "version; the latest is printed."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def _page(
    request: AuthedRequest, board: dashboard.Dashboard, period_form: PeriodForm
) -> dict[str, object]:
    """What the dashboard page shows, beside the kept sections."""
    user = request.user
    start, end = dashboard.quarter_of(board.today)
    commentary = commentary_latest(user.organisation, start, end)
    return {
        "board": board,
        "sections": rendered_sections(
            request,
            board,
            sees_cases=sees_all_children(user),
            sees_staff_names=is_admin(user),
        ),
        "period_form": period_form,
        "quarter": (start, end),
        "commentary": commentary,
        "commentary_form": (
            CommentaryForm(
                initial={"start": start, "end": end, "text": commentary.text if commentary else ""}
            )
            if may_write_commentary(user)
            else None
        ),
    }


@reads_from_replica()
def dashboard_view(request: AuthedRequest) -> HttpResponse:
    _require(request)
    board = current_dashboard(request.user.organisation)
    start, end = dashboard.quarter_of(board.today)
    return render(
        request,
        "dashboard/dashboard.html",
        _page(request, board, PeriodForm(initial={"start": start, "end": end})),
    )


def _table_for(request: AuthedRequest, slug: str, *, csv: bool) -> dashboard.Table:
    """The table behind a figure. A table naming children opens only for those
    who see every child (a director sees the counts per rule), and its reading
    is audited as a chronology's is; a table naming staff opens only for
    admins, who chase them (a director sees the counts)."""
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
    elif table.staff_names:
        if not is_admin(request.user):
            raise PermissionDenied
        table = dashboard.case_table(request.user.organisation, slug, board.as_of) or table
    return table


@reads_from_replica()
def dashboard_table(request: AuthedRequest, slug: str) -> HttpResponse:
    """The table about one figure: an aggregate table, or for those allowed, the
    contacts that broke a practice rule or the staff behind a figure."""
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
        return render(request, "dashboard/dashboard.html", _page(request, board, form), status=400)
    if form.is_bound:
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start, end = dashboard.quarter_of(board.today)
    period = dashboard.period_for(request.user.organisation, start, end)
    content = render_board_report_pdf(
        board=board,
        period=period,
        by=request.user.full_name,
        at=timezone.now(),
        commentary=commentary_latest(request.user.organisation, start, end),
    )
    # Recorded once the PDF exists: a report that failed was given to nobody.
    audit.record(
        action="dashboard.board_report",
        actor=request.user,
        details={"start": str(start), "end": str(end)},
    )
    return pdf_response(content, f"board-report-{start:%Y%m%d}-{end:%Y%m%d}.pdf")


@require_http_methods(["GET", "POST"])
def board_commentary(request: AuthedRequest) -> HttpResponse:
    """Write the board's commentary for a period (directors and admins), and see
    its earlier versions."""
    user = request.user
    if not may_write_commentary(user):
        raise PermissionDenied
    organisation = user.organisation
    today = timezone.localdate()
    if request.method == "POST":
        form = CommentaryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                commentary_save(
                    organisation=organisation,
                    by=user,
                    start=data["start"],
                    end=data["end"],
                    text=data["text"],
                )
            except ValidationError as error:
                service_errors_onto(form, error)
            else:
                return redirect(
                    f"{reverse('board_commentary')}?start={data['start']}&end={data['end']}"
                )
        period = (form.cleaned_data.get("start"), form.cleaned_data.get("end"))
        status = 400
    else:
        chosen = PeriodForm(request.GET or None)
        if chosen.is_bound and chosen.is_valid():
            period = (chosen.cleaned_data["start"], chosen.cleaned_data["end"])
        else:
            period = dashboard.quarter_of(today)
        latest = commentary_latest(organisation, *period)
        form = CommentaryForm(
            initial={"start": period[0], "end": period[1], "text": latest.text if latest else ""}
        )
        status = 200
    start, end = period
    versions = (
        list(commentary_versions(organisation, start, end).select_related("written_by")[:50])
        if start and end
        else []
    )
    return render(
        request,
        "dashboard/commentary.html",
        {"form": form, "versions": versions, "start": start, "end": end},
        status=status,
    )


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
