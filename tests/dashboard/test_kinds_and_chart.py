"""Incidents counted by kind: the 4 Cs, and personal data breaches as their own
kind, counted once whatever category they were filed under, alike on the
dashboard, its chart, the board report and the incident counts page. And the
charts' legends name the bars they sit beside."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing, Group, Rect, String
from reportlab.pdfbase.pdfmetrics import stringWidth

from dashboard import figures as dashboard
from dashboard.board_report import incidents_chart
from dashboard.chart import COLOURS, coloured, stacked_bars
from tests.factories import IncidentFactory
from tests.pdf_text import assert_no_overprint

pytestmark = pytest.mark.django_db

KINDS = ["Content", "Contact", "Conduct", "Commerce", "Personal data breaches"]


def raised(organisation, *, category, incident_type="other", days_ago=1, status="new"):
    reported = timezone.now() - dt.timedelta(days=days_ago)
    return IncidentFactory(
        organisation=organisation,
        category=category,
        incident_type=incident_type,
        status=status,
        reported_at=reported,
        occurred_at=reported,
    )


@pytest.fixture
def filed(organisation, other_organisation):
    """A breach filed under content before breaches had their own kind, a breach
    recorded with no category (as they are now), one content incident, one
    contact incident, and another organisation's breach."""
    raised(organisation, category="content", incident_type="data_breach")
    raised(organisation, category="", incident_type="data_breach")
    raised(organisation, category="content", incident_type="harmful_content")
    raised(organisation, category="contact", incident_type="grooming")
    raised(other_organisation, category="content", incident_type="data_breach")


def test_a_breach_filed_under_content_counts_as_a_breach_on_the_dashboard(organisation, filed):
    board = dashboard.dashboard_for(organisation)

    assert list(board.monthly) == KINDS
    assert {kind: sum(counts) for kind, counts in board.monthly.items()} == {
        "Content": 1,
        "Contact": 1,
        "Conduct": 0,
        "Commerce": 0,
        "Personal data breaches": 2,
    }
    table = board.table("incidents-monthly")
    assert table.headers == ["Month", *KINDS, "Total"]
    assert [sum(row[n] for row in table.rows) for n in range(1, 7)] == [1, 1, 0, 0, 2, 4]


def test_the_dashboard_page_shows_breaches_in_their_own_column_and_bar(
    organisation, filed, director, client_for
):
    page = client_for(director).get("/dashboard/").content.decode()

    legend = re.findall(
        r'<span class="safeguard-legend">.*?fill="([^"]+)".*?</svg> ([^<]+)</span>', page
    )
    assert [name for _colour, name in legend] == KINDS
    breach_colour = {name: colour for colour, name in legend}["Personal data breaches"]
    assert re.search(
        rf'fill="{breach_colour}"><title>\w+ \d{{4}}: 2 Personal data breaches</title>', page
    )
    assert re.search(r"\w+ \d{4}: 1 Content</title>", page)  # the breach under content is not


def test_the_counts_page_counts_a_breach_once_as_a_breach(
    organisation, filed, director, client_for
):
    response = client_for(director).get("/incidents/counts/")

    assert dict(response.context["kind_rows"]) == {
        "Content: harmful material seen": 1,
        "Contact: harmful contact from others": 1,
        "Conduct: behaviour that causes or risks harm": 0,
        "Commerce: scams, gambling, financial harm": 0,
        "Personal data breaches": 2,
    }
    assert response.context["open_total"] == 4
    html = " ".join(response.content.decode().split())
    assert (
        'Personal data breaches</th><td class="govuk-table__cell govuk-table__cell--numeric">2'
        in html
    )


def test_a_closed_breach_is_not_counted_as_open(organisation, director, client_for):
    raised(organisation, category="content", incident_type="data_breach", status="closed")

    rows = dict(client_for(director).get("/incidents/counts/").context["kind_rows"])

    assert rows["Personal data breaches"] == 0
    assert rows["Content: harmful material seen"] == 0


def test_the_board_report_lists_breaches_apart_from_the_4_cs(
    organisation, filed, director, client_for
):
    start, end = dashboard.quarter_of(timezone.localdate())
    period = dashboard.period_for(organisation, start, end)
    assert period.raised == dict(zip(KINDS, [1, 1, 0, 0, 2], strict=True))

    response = client_for(director).get(f"/dashboard/board-report.pdf?start={start}&end={end}")

    assert response.status_code == 200
    assert_no_overprint(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert (
        "Kind of risk Incidents Content 1 Contact 1 Conduct 0 Commerce 0 "
        "Personal data breaches 2 All 4" in text
    )
    # The chart's legend, in the bars' order.
    assert re.search(r"Content\s+Contact\s+Conduct\s+Commerce\s+Personal data breaches", text)


# --- the charts' legends --------------------------------------------------------------------


def shapes(drawing: Drawing) -> tuple[list[Rect], list[String]]:
    rects: list[Rect] = []
    strings: list[String] = []

    def walk(node: Group) -> None:
        for child in node.contents:
            if isinstance(child, Group):
                walk(child)
            elif isinstance(child, Rect):
                rects.append(child)
            elif isinstance(child, String):
                strings.append(child)

    walk(drawing.expandUserNodes())
    return rects, strings


def legend_as_read(drawing: Drawing, names: list[str]) -> dict[str, str]:
    """Each name in the legend with the colour of the swatch a reader takes for
    it: the nearest one on its line, on either side."""
    rects, strings = shapes(drawing)
    swatches = [r for r in rects if r.width == r.height and r.width <= 12]
    read = {}
    for label in (s for s in strings if s.text in names):
        on_line = [r for r in swatches if abs((r.y + r.height / 2) - (label.y + 3)) < r.height]
        assert on_line, f"no swatch beside {label.text!r}"
        label_right = label.x + stringWidth(label.text, label.fontName, label.fontSize)

        def gap(r: Rect, label=label, label_right=label_right) -> float:
            return min(abs(label.x - (r.x + r.width)), abs(r.x - label_right))

        read[label.text] = min(on_line, key=gap).fillColor.hexval()
    return read


def test_each_legend_swatch_has_the_colour_of_its_bars_in_the_board_reports_chart():
    months = dashboard.month_starts(dt.date(2026, 12, 2))
    # A different count for each kind in the first month tells their bars apart.
    monthly = {name: [n + 1] + [0] * 11 for n, name in enumerate(KINDS)}

    drawing = incidents_chart(months, monthly)

    rects, strings = shapes(drawing)
    bars = [r for r in rects if r.width > 12 and r.height > 0 and r.fillColor is not None]
    unit = min(bar.height for bar in bars)  # the bar of a count of 1
    bar_colour = {KINDS[round(bar.height / unit) - 1]: bar.fillColor.hexval() for bar in bars}
    assert len(set(bar_colour.values())) == len(KINDS)
    assert legend_as_read(drawing, KINDS) == bar_colour
    # Top to bottom in the legend, the order of the bars' series (and the tables).
    names = sorted((s for s in strings if s.text in KINDS), key=lambda s: -s.y)
    assert [s.text for s in names] == KINDS
    # And no name runs off the drawing.
    assert all(s.x + stringWidth(s.text, s.fontName, s.fontSize) <= drawing.width for s in names)


def test_each_legend_swatch_has_the_colour_of_its_bars_on_the_dashboard_chart():
    months = dashboard.month_starts(dt.date(2026, 12, 2))
    monthly = {name: [n + 1] * 12 for n, name in enumerate(KINDS)}

    chart = stacked_bars(months, monthly)

    legend = {name: colour for colour, name in chart.legend}
    assert list(legend) == KINDS
    for bar in chart.bars:
        name = bar.label.split(": ", 1)[1].split(" ", 1)[1]
        assert bar.colour == legend[name], bar.label


def test_more_kinds_than_colours_is_refused_not_drawn_alike():
    assert [one.colour for one in coloured({k: [0] for k in KINDS})] == COLOURS[: len(KINDS)]
    with pytest.raises(ValueError, match="colours"):
        coloured({f"kind {n}": [0] for n in range(len(COLOURS) + 1)})
