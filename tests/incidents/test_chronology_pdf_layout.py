"""A child's chronology PDF as a case conference reads it: every entry headed
by its time in the organisation's own zone, named ("14:05 BST"), the entry's
words beneath it, and no text drawn over other text anywhere, with a long
name, a long entry and a correction among them."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from children import services as caseload
from common.pdf import footer_lines
from common.times import local_time
from incidents import services
from tests.factories import ChildFactory, UserFactory
from tests.pdf_text import Run, assert_in_order, assert_no_overprint, numbered_words, pdf_text

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MARKING = "Confidential: safeguarding"
# Where a heading starts (the 20 mm margin and the frame's 6-point padding) and
# where text indented 6 mm under it starts, in points.
LEFT = 62.69
INDENT = LEFT + 17.01
# The longest a name field holds, in words: wraps, never runs over the page number.
LONG_NAME = "Dana " + " ".join(["Montgomery-Featherstonehaugh"] * 4) + " Douglas"


def last_year(month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """A fixed moment in UTC, always in the past, in the month given: January is
    GMT in London, July is BST."""
    return dt.datetime(timezone.now().year - 1, month, day, hour, minute, tzinfo=UTC)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def heading_run(runs: list[Run], starts: str) -> Run:
    """The line that starts with ``starts`` (non-breaking spaces read as spaces)."""
    found = [run for run in runs if run.text.replace("\u00a0", " ").startswith(starts)]
    assert len(found) == 1, f"{starts!r} heads {len(found)} lines"
    return found[0]


def first_line_with(runs: list[Run], word: str) -> Run:
    found = [run for run in runs if word in run.text]
    assert found, f"{word!r} is on no line"
    return found[0]


def below(heading: Run, line: Run) -> bool:
    """The line comes after the heading: lower on the same page, or on a later one."""
    return line.page > heading.page or (line.page == heading.page and line.y < heading.y)


@pytest.fixture
def chronology(organisation, alice):
    """A DSL with a long name; an incident raised in January, a long note in
    July, its correction the next day, and a note in November."""
    lead = UserFactory(organisation=organisation, role=Role.DSL, full_name=LONG_NAME)
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=lead)
    incident = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=last_year(1, 15, 9, 30),
        disclosed_at=last_year(1, 15, 9, 30),
        category="contact",
        incident_type="grooming",
        what_happened="rprt0 An adult in a game asked Noor for her address.",
        initial_risk="medium",
    )
    long_note, note_markers = numbered_words("note", 4_000)
    note = services.chronology_add(
        incident=incident, by=lead, kind="note", text=long_note, happened_at=last_year(7, 15, 13, 5)
    )
    services.chronology_add(
        incident=incident,
        by=lead,
        kind="note",
        text="fixd0 The address asked for was the school's, not the home's.",
        happened_at=last_year(7, 16, 8, 0),
        corrects=note,
    )
    services.chronology_add(
        incident=incident,
        by=lead,
        kind="note",
        text="late0 Noor's mother blocked the account.",
        happened_at=last_year(11, 2, 10, 0),
    )
    return lead, child, incident, note_markers


def test_each_entry_is_headed_by_its_time_with_the_zone_named_and_nothing_overprints(
    organisation, chronology, client_for
):
    lead, child, incident, note_markers = chronology
    year = timezone.now().year - 1

    response = client_for(lead).get(f"/incidents/children/{child.pk}/chronology.pdf")

    assert response.status_code == 200
    runs = assert_no_overprint(response.content)
    # Each entry's heading line starts with its time, London's summer time named as such.
    raised = heading_run(runs, f"15 Jan {year} 09:30 GMT · Incident {incident.reference}")
    note = heading_run(runs, f"15 Jul {year} 14:05 BST · Incident {incident.reference}: Note")
    correction = heading_run(runs, f"Correction to the entry above, 16 Jul {year} 09:00 BST")
    late = heading_run(runs, f"2 Nov {year} 10:00 GMT · Incident {incident.reference}")
    assert raised.x == pytest.approx(LEFT, abs=1)
    assert note.x == pytest.approx(LEFT, abs=1)
    assert correction.x == pytest.approx(INDENT, abs=1)  # under the entry it corrects
    # Each entry's words start on the lines beneath its heading, indented.
    for heading, word in (
        (raised, "rprt0"),
        (note, note_markers[0]),
        (correction, "fixd0"),
        (late, "late0"),
    ):
        line = first_line_with(runs, word)
        assert below(heading, line), f"{word} is not under its heading"
        assert line.x > heading.x, f"{word} is not indented under its heading"
    # And read back in order: each time, then its words, then the next.
    text = pdf_text(
        response.content,
        furniture=[
            re.escape(MARKING),
            r"Exported\s+by\s[\s\S]*?\son\s+\d+\s+\w+\s+\d{4}\s+[\d:]+\s+[A-Z]+",
        ],
    )
    assert_in_order(
        text,
        [
            flat(f"15 Jan {year} 09:30 GMT"),
            "rprt0",
            flat(f"15 Jul {year} 14:05 BST"),
            *note_markers,
            "Correctiontotheentryabove",
            flat(f"16 Jul {year} 09:00 BST"),
            "fixd0",
            flat(f"2 Nov {year} 10:00 GMT"),
            "late0",
        ],
    )
    assert "Times are Europe/London time" in " ".join(text.split())


def test_the_long_exporters_name_wraps_clear_of_the_page_number(chronology, client_for):
    lead, child, _incident, _markers = chronology

    response = client_for(lead).get(f"/incidents/children/{child.pk}/chronology.pdf")

    runs = assert_no_overprint(response.content)
    pages = max(run.page for run in runs)
    assert pages > 1
    for page in range(1, pages + 1):
        on_page = [run for run in runs if run.page == page]
        number = first_line_with(on_page, f"Page {page} of {pages}")
        footer = [run for run in on_page if run.y < 50 and run is not number]
        assert len(footer) > 1, "the long footer wraps over more than one line"
        assert all(run.right < number.x for run in footer)
    exported = " ".join(
        run.text for run in sorted(runs, key=lambda r: -r.y) if run.page == 1 and run.y < 50
    )
    assert re.search(
        r"Exported by Dana Montgomery.* on \d+ \w+ \d{4} \d\d:\d\d (GMT|BST)", exported
    )


def test_times_are_the_organisations_not_the_servers(organisation, chronology, client_for):
    """The server runs in London; an organisation in New York reads New York time."""
    lead, child, incident, _markers = chronology
    organisation.timezone = "America/New_York"
    organisation.save(update_fields=["timezone"])
    year = timezone.now().year - 1

    response = client_for(lead).get(f"/incidents/children/{child.pk}/chronology.pdf")

    runs = assert_no_overprint(response.content)
    heading_run(runs, f"15 Jan {year} 04:30 EST · Incident {incident.reference}")
    heading_run(runs, f"15 Jul {year} 09:05 EDT · Incident {incident.reference}")
    text = " ".join(pdf_text(response.content).split())
    assert "Times are America/New_York time" in text
    assert "09:30 GMT" not in text.replace("\u00a0", " ")


def test_a_zone_without_letters_is_named_by_its_offset_and_an_unknown_one_as_utc():
    moment = dt.datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert local_time(moment, "Europe/London") == "15 Jan 2026 10:00 GMT"
    assert local_time(moment, "Asia/Dubai") == "15 Jan 2026 14:00 UTC+04:00"
    assert local_time(moment, "Asia/Kathmandu") == "15 Jan 2026 15:45 UTC+05:45"
    assert local_time(moment, "Nowhere/Atlantis") == "15 Jan 2026 10:00 UTC"


def test_a_footer_of_any_length_keeps_to_its_room():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    word = "Llanfairpwllgwyngyll" * 40
    lines = footer_lines(f"Exported by {word} on 2 Dec 2026 14:05 GMT", 300)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(stringWidth(line, "DejaVuSans", 8) <= 300 for line in lines)
    assert footer_lines("Exported by Dana Douglas on 2 Dec 2026 14:05 GMT", 300) == [
        "Exported by Dana Douglas on 2 Dec 2026 14:05 GMT"
    ]
