"""The dashboard's figures, computed once per organisation, minute and change.

Computing them reads every consent record, incident and training record of the
organisation (about 100 ms for 2,000 children on PostgreSQL); a director opening
the dashboard, a table behind a figure, its CSV and the board report would pay
that four times. Instead the computed figures are cached under the
organisation's figures stamp, which PostgreSQL changes in the same transaction
as any write to a table they read (dashboard/migrations/0002), and under the
minute they were computed for, because some figures count from now (the ICO's
72 hours, the last 30 days). So a figure is never older than the last write, and
never more than a minute older than the clock.

On SQLite there are no stamps and the figures are computed on every request.
"""

import datetime as dt
import logging
from dataclasses import replace

from django.core.cache import cache
from django.db import connections, router
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Organisation
from dashboard.chart import stacked_bars
from dashboard.figures import Dashboard, dashboard_for
from dashboard.models import FiguresStamp

log = logging.getLogger(__name__)

# A key names its minute, so nothing is read after the next one: two minutes
# bound the cache to about two dashboards per organisation in use (tens of KB
# each), whatever the number of organisations.
KEEP_SECONDS = 120


def _stamp(organisation: Organisation) -> str | None:
    """The organisation's stamp, read where the figures will be read (the replica,
    when the dashboard reads one), so both describe the same moment."""
    alias = router.db_for_read(FiguresStamp)
    if connections[alias].vendor != "postgresql":
        return None
    stamp = (
        FiguresStamp.objects.using(alias)
        .filter(organisation=organisation)
        .values_list("stamp", flat=True)
        .first()
    )
    return stamp.hex if stamp else None


def current_dashboard(organisation: Organisation, now: dt.datetime | None = None) -> Dashboard:
    """The dashboard as of this minute: from the cache when nothing it reads has
    been written since it was computed, else computed (and kept)."""
    minute = (now or timezone.now()).replace(second=0, microsecond=0)
    stamp = _stamp(organisation)
    if stamp is None:
        # No write has touched this organisation since the triggers were
        # installed, so there is nothing a key could be checked against.
        return dashboard_for(organisation, minute)
    # The figures' words are in the reader's language, so each language is kept apart.
    key = f"dashboard:{organisation.pk}:{stamp}:{minute:%Y%m%d%H%M}:{translation.get_language()}"
    cached = _kept(key)
    if isinstance(cached, Dashboard) and cached.organisation.pk == organisation.pk:
        # The organisation as it is now: a rename changes no stamp.
        cached.organisation = organisation
        return cached
    board = dashboard_for(organisation, minute)
    board.snapshot_key = key
    _keep(key, _without_names(board))
    return board


def _without_names(board: Dashboard) -> Dashboard:
    """The dashboard as kept: the tables naming people (children, or staff behind
    a figure) keep their caption and headers but not their rows, which
    dashboard.figures.case_table reads fresh when someone allowed opens them.
    Names never sit in the cache."""
    return replace(
        board,
        sections=[
            replace(
                section,
                tables=[replace(t, rows=[]) if t.names_people else t for t in section.tables],
            )
            for section in board.sections
        ],
    )


def rendered_sections(
    request: HttpRequest, board: Dashboard, *, sees_cases: bool, sees_staff_names: bool
) -> SafeString:
    """The dashboard's sections as HTML. Rendering them is most of the page's
    time once the figures are kept, and they depend only on the figures, on
    whether the reader may open tables naming children or staff (the page
    links to those tables, never shows their rows), and on the language."""
    key = (
        f"{board.snapshot_key}:sections:{int(sees_cases)}{int(sees_staff_names)}:"
        f"{translation.get_language()}"
        if board.snapshot_key
        else None
    )
    kept = _kept(key) if key else None
    if isinstance(kept, str):
        return mark_safe(kept)  # noqa: S308 - rendered by our own template, below
    html = render_to_string(
        "dashboard/dashboard_sections.html",
        {
            "board": board,
            "chart": stacked_bars(board.months, board.monthly),
            "sees_cases": sees_cases,
            "sees_staff_names": sees_staff_names,
        },
        request=request,
    )
    if key:
        _keep(key, str(html))
    return html


def _kept(key: str) -> object:
    try:
        return cache.get(key)
    except Exception:  # an unreachable cache costs speed, never the dashboard
        log.warning("Dashboard cache unreachable; computing the figures", exc_info=True)
        return None


def _keep(key: str, value: object) -> None:
    try:
        cache.set(key, value, KEEP_SECONDS)
    except Exception:
        log.warning("Dashboard cache unreachable; figures not kept", exc_info=True)
