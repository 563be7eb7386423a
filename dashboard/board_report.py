"""The board report: the dashboard's figures and tables for a period, the
incidents chart, and the policy changes approved in the period."""

import datetime as dt

from django.utils.translation import gettext
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from common.pdf import BODY_FONT, STYLES, build_pdf, table
from common.pdf import text as _text
from common.times import local_time
from dashboard.chart import coloured
from dashboard.figures import Dashboard, Period
from dashboard.models import BoardCommentary


def _table(
    caption: str, headers: list[str], rows: list[list[object]], widths: list[float] | None = None
) -> KeepTogether:
    # Kept on one page when it fits; a longer table (or a long "what changed") runs on.
    return KeepTogether(
        [
            Paragraph(_text(caption), STYLES["Heading3"]),
            table([headers, *rows], col_widths=widths, hAlign="LEFT"),
            Spacer(1, 4 * mm),
        ]
    )


# The legend's type size, swatch and gap between swatch and name, in points.
LEGEND_SIZE = 8
SWATCH = 10
SWATCH_GAP = 6


def incidents_chart(months: list[dt.date], monthly: dict[str, list[int]]) -> Drawing:
    """New incidents per month, stacked by kind, with a legend of one column
    beside it: a swatch, then its name, both from the same list as the bars
    (dashboard.chart.coloured). The legend is as wide as its longest name and
    the plot takes the rest, so no name runs off the drawing or under the bars."""
    drawn = coloured(monthly)
    drawing = Drawing(170 * mm, 75 * mm)
    widest = max((stringWidth(one.name, BODY_FONT, LEGEND_SIZE) for one in drawn), default=0)
    legend = Legend()
    # types-reportlab declares these int; reportlab takes any number of points.
    legend.x = drawing.width - (SWATCH + SWATCH_GAP + widest)  # type: ignore[assignment]
    legend.y = 70 * mm  # type: ignore[assignment]
    legend.alignment = "right"  # the name to the right of its swatch
    legend.columnMaximum = max(len(drawn), 1)
    legend.dx = legend.dy = SWATCH
    legend.dxTextSpace = SWATCH_GAP
    legend.fontName, legend.fontSize = BODY_FONT, LEGEND_SIZE
    legend.colorNamePairs = [(colors.HexColor(one.colour), one.name) for one in drawn]
    chart = VerticalBarChart()
    chart.x, chart.y, chart.height = 10 * mm, 15 * mm, 55 * mm  # type: ignore[assignment]
    chart.width = legend.x - 8 * mm - chart.x  # type: ignore[assignment]
    chart.data = [tuple(one.values) for one in drawn]
    chart.categoryAxis.categoryNames = [f"{month:%b}" for month in months]
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    for n, one in enumerate(drawn):
        chart.bars[n].fillColor = colors.HexColor(one.colour)
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def _commentary(commentary: BoardCommentary | None) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_text(gettext("Commentary")), STYLES["Heading2"])]
    if commentary is None:
        story.append(
            Paragraph(
                _text(gettext("No commentary was written for this period.")), STYLES["BodyText"]
            )
        )
        return story
    for paragraph in commentary.text.split("\n\n"):
        story.append(Paragraph(_text(paragraph.strip()), STYLES["BodyText"]))
    written = local_time(commentary.written_at, commentary.organisation.timezone, "%-d %B %Y")
    story.append(
        Paragraph(
            _text(
                gettext("Written by %(name)s on %(date)s.")
                % {"name": commentary.written_by.full_name, "date": written}
            ),
            STYLES["BodyText"],
        )
    )
    return story


def render_board_report_pdf(
    *,
    board: Dashboard,
    period: Period,
    by: str,
    at: dt.datetime,
    commentary: BoardCommentary | None = None,
) -> bytes:
    when = local_time(at, board.organisation.timezone, "%-d %B %Y %H:%M")
    before_start, before_end = period.before
    raised = sum(period.raised.values())
    story = [
        Paragraph(_text(f"Board report: {board.organisation.name}"), STYLES["Title"]),
        Paragraph(
            _text(
                f"Period {period.start:%-d %B %Y} to {period.end:%-d %B %Y}. Figures as "
                f"at {when}, prepared by {by}. Counts only: no case detail."
            ),
            STYLES["BodyText"],
        ),
        *_commentary(commentary),
        Paragraph("Incidents raised in the period", STYLES["Heading2"]),
        Paragraph(
            _text(
                gettext(
                    "%(n)d raised in the period; %(before)d in the period of the same length "
                    "before it (%(start)s to %(end)s)."
                )
                % {
                    "n": raised,
                    "before": period.raised_before,
                    "start": f"{before_start:%-d %B %Y}",
                    "end": f"{before_end:%-d %B %Y}",
                }
            ),
            STYLES["BodyText"],
        ),
        _table(
            "By kind of risk",
            ["Kind of risk", "Incidents"],
            [[name, n] for name, n in period.raised.items()] + [["All", raised]],
        ),
        Paragraph("New incidents per month (last 12 months)", STYLES["Heading2"]),
        incidents_chart(board.months, board.monthly),
        Paragraph("Online contacts that broke a practice rule in the period", STYLES["Heading2"]),
        Paragraph(
            _text(
                f"Contacts that broke a practice rule in the period: {period.contact_breaches}. "
                + gettext(
                    "Each was recorded, with the rule it broke and why it went ahead, and the "
                    "%(lead)s was told."
                )
                % {"lead": board.organisation.titles.short}
            ),
            STYLES["BodyText"],
        ),
    ]
    if period.breaches_per_rule:
        story.append(
            _table("By rule broken", ["Rule", "Contacts"], period.breaches_per_rule),
        )
    for section in board.sections:
        story.append(Paragraph(_text(section.title), STYLES["Heading2"]))
        story.append(
            _table(
                "Headline figures",
                [gettext("Figure"), gettext("Compared with before")],
                [[f.text, f.compared or "-"] for f in section.figures],
                widths=[110 * mm, 60 * mm],
            )
        )
        for figures in section.tables:
            if figures.names_people:  # the board reads counts, never names
                continue
            story.append(_table(figures.caption, figures.headers, figures.rows))
    story.append(Paragraph("Policy changes approved in the period", STYLES["Heading2"]))
    if period.policy_changes:
        story.append(
            _table(
                "Approved versions",
                ["Policy", "Version", "Approved", "What changed"],
                [
                    [t, label, f"{on:%-d %b %Y}", summary or "Not recorded"]
                    for t, label, on, summary in period.policy_changes
                ],
                widths=[50 * mm, 20 * mm, 25 * mm, 75 * mm],
            )
        )
    else:
        story.append(
            Paragraph("No policy changes were approved in the period.", STYLES["BodyText"])
        )
    return build_pdf(
        f"Board report {period.start} to {period.end}",
        story,
        marking="Board report: confidential",
        footer=f"Prepared by {by} on {when}",
    )
