"""What an incident is counted under in the figures: one of the 4 Cs, or a
personal data breach, which is its own kind and none of them.

A breach is counted as a breach whatever category it carries: breaches filed
before they had their own kind keep the category their reporter chose, and
must not also swell that C's count. Every count by kind (the dashboard, its
chart, the board report, the incident counts page) asks here, so they agree.
"""

from django.db.models import Case, CharField, F, Q, Value, When

from incidents.models import Category, IncidentType

BREACH = "data_breach"
BREACH_LABEL = "Personal data breaches"


def kinds() -> list[tuple[str, str]]:
    """Every kind an incident is counted under, as (value, label), in the order
    counts show them: the 4 Cs, then personal data breaches."""
    return [*Category.choices, (BREACH, BREACH_LABEL)]


def short_label(label: str) -> str:
    """ "Content" for "Content: harmful material seen": what a chart's legend holds."""
    return label.split(":")[0]


def counted_as(kind: str) -> Q:
    """The incidents counted under ``kind``, as a condition a count can filter on."""
    breach = Q(incident_type=IncidentType.DATA_BREACH)
    return breach if kind == BREACH else Q(category=kind) & ~breach


def kind_of() -> Case:
    """Each incident's kind as a column to group by."""
    return Case(
        When(incident_type=IncidentType.DATA_BREACH, then=Value(BREACH)),
        default=F("category"),
        output_field=CharField(),
    )
