"""A stacked bar chart as plain SVG numbers for a template to draw: readable
by a screen reader through its title, description and the table beside it,
and by a keyboard user because nothing in it needs a mouse."""

import datetime as dt
from dataclasses import dataclass

# Distinguishable for the common colour-vision deficiencies (Okabe-Ito).
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
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
    for n, month in enumerate(months):
        base: float = HEIGHT - BOTTOM
        for colour, (name, values) in zip(COLOURS, series.items(), strict=False):
            if not values[n]:
                continue
            height = plot_height * values[n] / scale_top
            base -= height
            bars.append(
                Bar(
                    LEFT + n * slot + slot * 0.15,
                    round(base, 1),
                    round(slot * 0.7, 1),
                    round(height, 1),
                    colour,
                    f"{month:%b %Y}: {values[n]} {name}",
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
        list(zip(COLOURS, series.keys(), strict=False)),
        description,
        HEIGHT - BOTTOM,
    )
