"""A child's chronology PDF holds whatever was written, however long: accounts
of 20,000 characters, a 10,000-character word, thousands of short lines, Welsh,
Hebrew and Arabic, read back in order. Its "exported" audit event is written
only once the PDF exists, and names exactly what was handed out."""

import datetime as dt
import hashlib
import re

import pytest
from django.utils import timezone
from reportlab.platypus.doctemplate import LayoutError

from audit.models import AuditEvent
from children import services as caseload
from incidents import services
from incidents.models import Incident
from tests.factories import ChildFactory
from tests.pdf_text import (
    RTL_WORDS,
    WELSH_AND_RTL,
    WELSH_AND_RTL_MARKERS,
    assert_in_order,
    assert_present,
    long_word,
    numbered_words,
    pdf_pages,
    short_lines,
)

pytestmark = pytest.mark.django_db

MARKING = "Confidential: safeguarding"


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def export(client, child):
    return client.get(f"/incidents/children/{child.pk}/chronology.pdf")


def furniture(user):
    return [
        re.escape(MARKING),
        rf"Exported by {re.escape(user.full_name)} on \d+ \w+ \d{{4}} [\d:]+ [\w+:]+",
    ]


def test_a_chronology_of_very_long_entries_exports_every_word_in_order(
    alice, dana, child, client_for
):
    account, account_markers = numbered_words("acct", 20_000)
    what_happened, reported_markers = numbered_words("told", 20_000)
    correction, correction_markers = numbered_words("fixd", 20_000)
    word, word_markers = long_word("wrd", 10_000)
    lines, line_markers = short_lines("ln", 2_500)
    incident = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(days=6),
        disclosed_at=ago(days=6),
        category="contact",
        incident_type="grooming",
        what_happened=what_happened,
        initial_risk="medium",
    )
    first = services.chronology_add(
        incident=incident, by=dana, kind="note", text=account, happened_at=ago(days=5)
    )
    services.chronology_add(
        incident=incident,
        by=dana,
        kind="note",
        text=correction,
        happened_at=ago(days=4, hours=12),
        corrects=first,
    )
    for days, text in ((4, word), (3, lines), (2, WELSH_AND_RTL)):
        services.chronology_add(
            incident=incident, by=dana, kind="note", text=text, happened_at=ago(days=days)
        )
    assert len(account) >= 20_000
    assert len(word) == 10_000

    response = export(client_for(dana), child)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    assert len(pages) > 10
    for number, page in enumerate(pages, start=1):
        assert MARKING in page, f"page {number} is not marked"
    text = "\n".join(pdf_pages(response.content, furniture=furniture(dana)))
    assert_in_order(
        text,
        [
            *reported_markers,
            *account_markers,
            "Correctiontotheentryabove",
            *correction_markers,
            *word_markers,
            *line_markers,
            *WELSH_AND_RTL_MARKERS,
            "Concernraised",
        ],
    )
    assert_present(text, RTL_WORDS)
    # Each short line is a line of its own, not run into the next.
    assert "ln0001\nln0002" in text.replace(" \n", "\n")


def test_the_length_the_concern_form_allows_exports(alice, dana, child, client_for):
    """The form takes 10,000 characters; what it takes, the PDF holds."""
    from tests.incidents.test_incidents import concern_post

    prose, markers = numbered_words("said", 9_000)
    tail = "x" * (10_000 - len(prose) - 1)  # a long word to finish on the limit
    what_happened = f"{prose} {tail}"
    assert len(what_happened) == 10_000
    childs_words = "Ni ddylwn i ddweud wrth mam. " * 300  # Welsh, to the form's limit
    raised = client_for(alice).post(
        "/incidents/new/",
        concern_post(child, what_happened=what_happened, childs_words=childs_words[:10_000]),
    )
    assert raised.status_code == 302, raised.context["form"].errors if raised.context else ""
    too_long = client_for(alice).post(
        "/incidents/new/", concern_post(child, what_happened=what_happened + "y")
    )
    assert too_long.status_code == 200  # the form's own message, not a server error
    assert "what_happened" in too_long.context["form"].errors
    assert Incident.objects.count() == 1

    response = export(client_for(dana), child)

    assert response.status_code == 200
    text = "\n".join(pdf_pages(response.content, furniture=furniture(dana)))
    assert_in_order(text, [*markers, tail, "Concernraised"])


def test_the_export_is_recorded_once_the_pdf_exists_with_its_digest(alice, dana, child, client_for):
    incident = services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(days=1),
        disclosed_at=ago(days=1),
        category="contact",
        incident_type="grooming",
        what_happened=numbered_words("acct", 20_000)[0],
        initial_risk="medium",
    )
    services.chronology_add(
        incident=incident,
        by=dana,
        kind="note",
        text=long_word("w", 10_000)[0],
        happened_at=ago(hours=2),
    )
    before = AuditEvent.objects.filter(action="child.chronology_exported").count()

    response = export(client_for(dana), child)

    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="child.chronology_exported").get()
    assert before == 0
    assert event.actor == dana
    assert event.object_id == str(child.pk)
    # Only the finished document has this digest: the event was written after it.
    assert event.details["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_an_export_that_fails_records_no_export(alice, dana, child, client_for, monkeypatch):
    """No text we know of still makes reportlab refuse a chronology (the tests
    above), so the refusal it used to give is put in the renderer's place: an
    export that fails for a reason not yet known must not claim it happened."""
    services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=ago(days=1),
        disclosed_at=ago(days=1),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )

    def refuse(**kwargs: object) -> bytes:
        raise LayoutError("Flowable too large on page 1")

    monkeypatch.setattr("incidents.views.chronology.render_child_chronology_pdf", refuse)
    with pytest.raises(LayoutError):
        export(client_for(dana), child)
    assert not AuditEvent.objects.filter(action="child.chronology_exported").exists()
