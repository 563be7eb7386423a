"""The shapes the dashboard's figures come in: a figure, the table behind it, a
section of figures, an item that needs attention, and the dashboard itself."""

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import Organisation


@dataclass
class Table:
    slug: str
    caption: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    # Names children: shown only to those who see every child, never in the
    # board report, which is counts only.
    case_detail: bool = False
    # Names members of staff: shown only to admins (who chase them), never to
    # directors nor in the board report. Kept without rows, like case_detail.
    staff_names: bool = False

    @property
    def names_people(self) -> bool:
        return self.case_detail or self.staff_names


@dataclass
class Figure:
    key: str  # stable: the page's data-figure, and how tests find it
    count: int | None  # what it counts, None for a duration
    value: str  # the headline: "3 of 7", "2 hours"
    label: str  # the rest of the sentence: "staff have a DBS check ... overdue"
    table: str  # the slug of the table about this figure, and only this one
    warn: bool = False
    # This period beside the last, saying which: "This month so far: 2. Last month: 5."
    compared: str = ""
    # The slug of the table naming the staff behind it (admins only), if any.
    names: str = ""

    @property
    def text(self) -> str:
        return f"{self.value} {self.label}".strip()


@dataclass
class Section:
    title: str
    figures: list[Figure]
    tables: list[Table]


@dataclass
class Attention:
    """One thing that needs someone to act, at the top of the page."""

    key: str
    count: int
    text: str
    table: str
    lines: list[str] = field(default_factory=list)  # e.g. each breach's countdown
    urgent: bool = False


@dataclass
class Dashboard:
    organisation: Organisation
    today: dt.date
    sections: list[Section]
    months: list[dt.date]  # the 12 months of the incidents chart
    monthly: dict[str, list[int]]  # kind (the 4 Cs, then data breaches) -> count per month
    as_of: dt.datetime  # the moment the figures describe
    attention: list[Attention] = field(default_factory=list)
    # Set by dashboard.snapshot when these figures are kept: what else may be kept
    # beside them (the rendered sections) is kept under the same key.
    snapshot_key: str | None = None

    def table(self, slug: str) -> Table | None:
        return next((t for s in self.sections for t in s.tables if t.slug == slug), None)

    def figure(self, key: str) -> Figure | None:
        return next((f for s in self.sections for f in s.figures if f.key == key), None)

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]
