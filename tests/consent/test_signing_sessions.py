"""One browser, several parents' links: a link never carries another's session;
the language the questions were read in is the one recorded.
"""

import pytest
from django.conf import settings
from django.test import Client

from consent.models import ConsentRecord
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask
from tests.consent.test_signing_journey import _form, _open, _welsh_wording

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db


def test_a_second_parents_link_on_the_same_tablet_carries_nothing_of_the_first(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    huda_link = ask(child, alice, "online_sessions", capture=capture)
    sami_link = ask(
        child, alice, "online_sessions", guardian_email="sami@example.test", capture=capture
    )
    tablet = Client()
    signed = answer(tablet, huda_link, {"online_sessions": "granted"}, capture=capture)
    assert signed["Location"] == "/consent/receipt/"
    assert tablet.get("/consent/receipt/receipt.pdf").status_code == 200
    assert tablet.get("/consent/manage/").status_code == 200
    huda_session = tablet.session.session_key

    # Sami opens his own link on the same tablet.
    page = _open(tablet, sami_link)
    assert "Sami" in page
    assert tablet.session.session_key != huda_session  # a new session key, too
    assert tablet.get("/consent/receipt/").status_code == 404
    assert tablet.get("/consent/receipt/receipt.pdf").status_code == 404
    assert tablet.get("/consent/manage/").status_code == 404
    assert "Huda" not in tablet.get("/consent/sign/").content.decode()


def test_reopening_the_same_link_keeps_the_answers_given(
    child, alice, django_capture_on_commit_callbacks
):
    link = ask(child, alice, "online_sessions", capture=django_capture_on_commit_callbacks)
    parent = Client()
    html = _open(parent, link)
    assert parent.post("/consent/sign/", _form(html, typed_name="Huda Hassan"))[
        "Location"
    ].endswith("/check/")
    again = _open(parent, link)
    assert 'value="Huda Hassan"' in again


def test_the_language_recorded_is_the_one_the_questions_were_read_in(
    child, alice, django_capture_on_commit_callbacks
):
    """Read in English, switched to Cymraeg on the check page, confirmed: the
    explanations were read in English, so the record says English."""
    capture = django_capture_on_commit_callbacks
    _welsh_wording()
    link = ask(child, alice, "online_sessions", capture=capture)
    parent = Client()
    html = _open(parent, link)  # English: the organisation's first language
    assert "Byddwn yn cynnal sesiynau" not in html
    assert parent.post("/consent/sign/", _form(html))["Location"] == "/consent/sign/check/"
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    check = parent.get("/consent/sign/check/")
    assert check.status_code == 200
    assert "Sesiynau ar-lein a galwadau fideo" in check.content.decode()
    with capture(execute=True):
        assert parent.post("/consent/sign/check/")["Location"] == "/consent/receipt/"
    (record,) = ConsentRecord.objects.all()
    assert record.language == "en-gb"


def test_questions_read_in_welsh_are_recorded_as_welsh(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _welsh_wording()
    link = ask(child, alice, "online_sessions", capture=capture)
    parent = Client()
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    welsh = _open(parent, link)
    assert "Byddwn yn cynnal sesiynau drwy alwad fideo ddiogel." in welsh
    assert parent.post("/consent/sign/", _form(welsh))["Location"] == "/consent/sign/check/"
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"  # English on the check page
    with capture(execute=True):
        assert parent.post("/consent/sign/check/")["Location"] == "/consent/receipt/"
    (record,) = ConsentRecord.objects.all()
    assert record.language == "cy"


def test_the_form_shown_again_on_the_check_page_posts_to_the_questions(
    child, alice, django_capture_on_commit_callbacks
):
    link = ask(child, alice, "online_sessions", capture=django_capture_on_commit_callbacks)
    parent = Client()
    _open(parent, link)
    page = parent.get("/consent/sign/").content.decode()
    assert 'action="/consent/sign/"' in page
