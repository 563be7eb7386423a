"""A stacked bar chart as plain SVG numbers for a template to draw: readable
by a screen reader through its title, description and the table beside it,
and by a keyboard user because nothing in it needs a mouse."""

import datetime as dt
from dataclasses import dataclass

# Distinguishable for the common colour-vision deficiencies (Okabe-Ito).
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[int]


def coloured(series: dict[str, list[int]]) -> list[Series]:
    """Each series with its colour, in order: the one list that both a chart's
    bars and its legend are drawn from, so a swatch always names its bars.
    More series than colours would have to share one: refused, not drawn."""
    if len(series) > len(COLOURS):
        raise ValueError(f"{len(series)} series and only {len(COLOURS)} colours to tell them apart")
    return [
        Series(name, colour, values)
        for colour, (name, values) in zip(COLOURS, series.items(), strict=False)
    ]


WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 260, 40, 40, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # x position, month label
    gridlines: list[tuple[float, int]]  # y position, value
    legend: list[tuple[str, str]]  # colour, series name
    description: str
    baseline: float


def stacked_bars(months: list[dt.date], series: dict[str, list[int]]) -> Chart:
    totals = [sum(values[n] for values in series.values()) for n in range(len(months))]
    top = max([*totals, 1])
    step = max(1, -(-top // 4))  # four gridlines, whole numbers
    scale_top = step * 4
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(months), 1)
    bars = []
    drawn = coloured(series)
    for n, month in enumerate(months):
        base: float = HEIGHT - BOTTOM
        for one in drawn:
            if not one.values[n]:
                continue
            height = plot_height * one.values[n] / scale_top
            base -= height
            bars.append(
                Bar(
                    LEFT + n * slot + slot * 0.15,
                    round(base, 1),
                    round(slot * 0.7, 1),
                    round(height, 1),
                    one.colour,
                    f"{month:%b %Y}: {one.values[n]} {one.name}",
                )
            )
    ticks = [(LEFT + n * slot + slot / 2, f"{month:%b}") for n, month in enumerate(months)]
    gridlines = [
        (round(HEIGHT - BOTTOM - plot_height * v / scale_top, 1), v)
        for v in range(0, scale_top + 1, step)
    ]
    busiest = max(range(len(months)), key=lambda n: totals[n]) if months else 0
    description = (
        f"{sum(totals)} new incidents over the 12 months from {months[0]:%B %Y} to "
        f"{months[-1]:%B %Y}; the most in {months[busiest]:%B %Y} ({totals[busiest]}). "
        "The table below gives every figure."
        if months
        else "No months to show."
    )
    return Chart(
        WIDTH,
        HEIGHT,
        bars,
        ticks,
        gridlines,
        [(one.colour, one.name) for one in drawn],
        description,
        HEIGHT - BOTTOM,
    )
