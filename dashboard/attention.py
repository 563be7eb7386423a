"""What needs someone to act, for the strip at the top of the dashboard: overdue
policy reviews, ICO decisions still open with their countdown, lapsed DBS
checks and children worked with online without the consent they need. Each
comes from a figure already counted, so the strip costs no query of its own."""

from django.utils.translation import ngettext

from dashboard.shapes import Attention, Section

# The figures that call for action when not zero, in the order the strip lists them.
ACTION_FIGURES = ("policies-overdue", "staff-dbs-lapsed", "consent-gaps")


def needs_attention(sections: list[Section], countdowns: list[tuple[str, bool]]) -> list[Attention]:
    """``countdowns``: each open ICO decision's countdown, and whether it is overdue."""
    figures = {figure.key: figure for section in sections for figure in section.figures}
    items: list[Attention] = []
    policies = figures.get("policies-overdue")
    if policies is not None and policies.count:
        items.append(
            Attention(policies.key, policies.count, policies.text, policies.table, urgent=True)
        )
    if countdowns:
        items.append(
            Attention(
                "ico-deadlines",
                len(countdowns),
                ngettext(
                    "%(n)d personal data breach waiting for the decision whether to report "
                    "it to the ICO",
                    "%(n)d personal data breaches waiting for the decision whether to report "
                    "them to the ICO",
                    len(countdowns),
                )
                % {"n": len(countdowns)},
                "data-breaches",
                lines=[text for text, _ in countdowns],
                urgent=True,
            )
        )
    for key in ACTION_FIGURES[1:]:
        figure = figures.get(key)
        if figure is not None and figure.count:
            items.append(Attention(figure.key, figure.count, figure.text, figure.table))
    return items
