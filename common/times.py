"""Times as an organisation reads them: in its own zone, with the zone named.

The server and Celery run in one zone (UTC for Celery, Europe/London for
Django); an organisation may be elsewhere, and a time printed without its zone
leaves a reader guessing whether it is summer time.
"""

import datetime as dt
import zoneinfo


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The organisation's time zone. One this machine does not know (the field is
    validated, so only a raw write could store it) reads as UTC, which every
    time printed then names: a record is still exported, and says how to read it."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_time(value: dt.datetime, zone: str, fmt: str = "%-d %b %Y %H:%M") -> str:
    """A moment as the organisation reads it, with its zone named ("2 Jul 2026
    14:05 BST", "2 Dec 2026 14:05 GMT"): a case conference comparing a PDF with
    a police log must not have to guess whether a time is summer time. A zone
    with no lettered abbreviation is named by its offset ("UTC+04:00")."""
    local = value.astimezone(zone_named(zone))
    abbreviation = local.tzname() or ""
    if not abbreviation.isalpha():
        offset = local.strftime("%z")
        abbreviation = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{local.strftime(fmt)} {abbreviation}"
