"""A parent's own decisions on their manage link: a withdrawal is confirmed by
email (the subject never names the child), withdrawn and refused consents stay
on the page with when and who, a later Yes is a new record beside the old ones,
and an expired link asks for a fresh one in either language."""

import datetime as dt
import html
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from children.models import Guardian
from consent import records as consent_records
from consent import regrant, services
from consent.models import (
    ConsentRecord,
    ConsentType,
    ConsentTypeVersion,
    Decision,
    GuardianAccess,
    Method,
)
from notices.models import Notice
from outbox.models import OutboundMessage
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

MANAGE_LINK = re.compile(r"http://testserver(/m/\S+/)")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def parent(child, alice, django_capture_on_commit_callbacks) -> Client:
    """Huda gave photos online and refused online sessions, then continued from
    her receipt's manage link in the browser returned."""
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "photos_online", "online_sessions", capture=capture)
    answer(
        Client(), link, {"photos_online": "granted", "online_sessions": "refused"}, capture=capture
    )
    manage_link = MANAGE_LINK.search(mail.outbox[-1].body).group(1)
    browser = Client()
    assert browser.get(manage_link)["Location"] == "/consent/manage/continue/"
    assert browser.post("/consent/manage/continue/")["Location"] == "/consent/manage/"
    return browser


def rows(page: str) -> dict[str, str]:
    """Each consent's row on the manage page: code -> its decision."""
    return dict(re.findall(r'data-consent="([a-z_]+)" data-decision="([a-z]+)"', page))


def withdraw(browser: Client, child, code: str, capture) -> None:
    consent_type = ConsentType.objects.get(code=code)
    with capture(execute=True):
        response = browser.post(f"/consent/manage/withdraw/{child.pk}/{consent_type.pk}/")
    assert response["Location"] == "/consent/manage/"


def test_a_withdrawal_is_confirmed_by_email_naming_the_service_not_the_child(
    child, parent, django_capture_on_commit_callbacks
):
    before = len(mail.outbox)
    withdraw(parent, child, "photos_online", django_capture_on_commit_callbacks)
    (email,) = [m for m in mail.outbox[before:] if m.to == ["huda@example.test"]]
    assert email.subject == "Your withdrawal of consent at Alder Play Therapy"
    assert "Noor" not in email.subject
    assert "Hassan" not in email.subject
    assert "You withdrew your consent for Noor: Photos online and on social media" in email.body
    assert "If a child is in immediate danger, call 999." in email.body
    # Through the outbox, so staff can see whether it went.
    message = OutboundMessage.objects.get(kind=regrant.WITHDRAWAL_EMAIL_KIND)
    assert message.state == "sent"
    assert ConsentRecord.objects.get(decision=Decision.WITHDRAWN).language == "en-gb"


def test_the_withdrawal_email_is_in_the_language_the_parent_withdrew_in(
    child, parent, django_capture_on_commit_callbacks
):
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    before = len(mail.outbox)
    withdraw(parent, child, "photos_online", django_capture_on_commit_callbacks)
    (email,) = [m for m in mail.outbox[before:] if m.to == ["huda@example.test"]]
    assert email.subject == "Tynnu eich caniatâd yn ôl yn Alder Play Therapy"
    assert "Fe wnaethoch dynnu eich caniatâd yn ôl ar gyfer Noor" in email.body
    assert "Os yw plentyn mewn perygl uniongyrchol, ffoniwch 999." in email.body
    assert ConsentRecord.objects.get(decision=Decision.WITHDRAWN).language == "cy"


def test_withdrawn_and_refused_consents_stay_on_the_page_with_when_and_who(
    child, parent, dana, django_capture_on_commit_callbacks
):
    withdraw(parent, child, "photos_online", django_capture_on_commit_callbacks)
    page = text(parent.get("/consent/manage/"))
    assert rows(page) == {"photos_online": "withdrawn", "online_sessions": "refused"}
    today = timezone.localdate().strftime("%-d %b %Y")
    assert f"{today}, by Huda Hassan" in page
    assert "Withdrawn" in page
    assert "Refused" in page
    # Each can be given again from here; nothing is left to withdraw.
    photos = ConsentType.objects.get(code="photos_online")
    assert f"/consent/manage/give/{child.pk}/{photos.pk}/" in page
    assert "/consent/manage/withdraw/" not in page


def test_a_paper_answer_shows_the_member_of_staff_who_recorded_it(child, parent, dana):
    huda = Guardian.objects.get(email="huda@example.test")
    voice = ConsentType.objects.get(code="voice_messages")
    ConsentRecord(
        organisation=child.organisation,
        child=child,
        consent_type=voice,
        type_version=voice.current_version(),
        guardian=huda,
        decision=Decision.REFUSED,
        method=Method.PAPER,
        typed_name="Huda Hassan",
        shown_sha256="0" * 64,
        recorded_by=dana,
    ).save()
    page = text(parent.get("/consent/manage/"))
    assert rows(page)["voice_messages"] == "refused"
    assert "recorded by Dana Douglas from your answer on paper or by phone" in page


def test_a_later_yes_is_a_new_record_and_the_old_ones_stay(
    child, parent, alice, dana, django_capture_on_commit_callbacks
):
    withdraw(parent, child, "photos_online", django_capture_on_commit_callbacks)
    photos = ConsentType.objects.get(code="photos_online")
    url = f"/consent/manage/give/{child.pk}/{photos.pk}/"
    page = parent.get(url)
    assert page.status_code == 200
    version = photos.current_version()
    shown = text(page)
    assert version.explanation.splitlines()[0] in shown
    assert "You withdrew this consent on" in shown
    # A name, and the tick, are both needed.
    refused = parent.post(url, {"typed_name": "", "version": version.pk})
    assert refused.status_code == 200
    assert "Type your full name." in text(refused)
    before = list(ConsentRecord.objects.order_by("pk").values_list("pk", "decision"))
    with django_capture_on_commit_callbacks(execute=True):
        done = parent.post(
            url, {"typed_name": "Huda Hassan", "confirm": "on", "version": version.pk}
        )
    assert done["Location"] == "/consent/manage/"
    after = list(ConsentRecord.objects.order_by("pk").values_list("pk", "decision"))
    assert after[: len(before)] == before  # nothing earlier changed
    new = ConsentRecord.objects.get(pk=after[-1][0])
    assert (new.decision, new.method, new.typed_name) == ("granted", "online", "Huda Hassan")
    assert new.language == "en-gb"
    assert new.valid_until is not None
    expected = services._sha256(
        regrant.regrant_shown(child=child, version=version, language="en-gb")
    )
    assert new.shown_sha256 == expected
    state = {t.code: s for t, s in services.consent_matrix(child)}
    assert state["photos_online"].state == "granted"
    assert Notice.objects.filter(recipient=alice, ledger__kind="consent.granted_again").exists()
    assert Notice.objects.filter(recipient=dana, ledger__kind="consent.granted_again").exists()
    assert AuditEvent.objects.filter(action="consent.granted_again").count() == 1
    assert rows(text(parent.get("/consent/manage/")))["photos_online"] == "granted"
    # Given now: a second Yes is not offered.
    assert parent.get(url)["Location"] == "/consent/manage/"


def test_a_yes_in_welsh_hashes_the_welsh_that_was_shown(
    child, parent, django_capture_on_commit_callbacks
):
    sessions = ConsentType.objects.get(code="online_sessions")
    old = sessions.current_version()
    ConsentType.objects.filter(pk=sessions.pk).update(name_cy="Sesiynau ar-lein")
    sessions.refresh_from_db()
    # Wording is never changed: Welsh written later is a new version.
    version = ConsentTypeVersion.objects.create(
        consent_type=sessions,
        number=old.number + 1,
        explanation=old.explanation,
        explanation_cy="Esboniad yn Gymraeg.",
        policy_version=old.policy_version,
    )
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    url = f"/consent/manage/give/{child.pk}/{sessions.pk}/"
    page = text(parent.get(url))
    assert '<html lang="cy"' in page
    assert "Esboniad yn Gymraeg." in page
    assert "Rhoi caniatâd ar gyfer Noor: Sesiynau ar-lein" in page
    with django_capture_on_commit_callbacks(execute=True):
        parent.post(url, {"typed_name": "Huda Hassan", "confirm": "on", "version": version.pk})
    new = ConsentRecord.objects.filter(consent_type=sessions).latest("pk")
    assert (new.decision, new.language) == ("granted", "cy")
    assert new.shown_sha256 == services._sha256(
        regrant.regrant_shown(child=child, version=version, language="cy")
    )
    assert new.shown_sha256 != services._sha256(
        regrant.regrant_shown(child=child, version=version, language="en-gb")
    )


def test_a_yes_on_a_welsh_page_is_recorded_as_welsh_where_only_the_name_is_welsh(
    child, parent, django_capture_on_commit_callbacks
):
    """The page was Welsh (its name, its questions) though the organisation wrote
    no Welsh explanation: the record says Welsh, and the hash holds the English
    explanation that page showed, as the signing page's hash does."""
    sessions = ConsentType.objects.get(code="online_sessions")
    old = sessions.current_version()
    version = ConsentTypeVersion.objects.create(
        consent_type=sessions,
        number=old.number + 1,
        explanation=old.explanation,
        explanation_cy="",
        policy_version=old.policy_version,
    )
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    url = f"/consent/manage/give/{child.pk}/{sessions.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        parent.post(url, {"typed_name": "Huda Hassan", "confirm": "on", "version": version.pk})
    new = ConsentRecord.objects.filter(consent_type=sessions).latest("pk")
    assert (new.decision, new.language) == ("granted", "cy")
    shown = regrant.regrant_shown(child=child, version=version, language="cy")
    assert shown["explanation_shown"] == old.explanation
    assert shown["on"] == "manage link"
    assert new.shown_sha256 == services._sha256(shown)


def test_a_yes_is_refused_when_the_wording_changed_meanwhile(child, parent, alice):
    sessions = ConsentType.objects.get(code="online_sessions")
    shown = sessions.current_version()
    consent_records.consent_type_update(
        consent_type=sessions,
        by=alice,
        explanation="New words.",
        validity_months=sessions.validity_months,
        active=True,
    )
    response = parent.post(
        f"/consent/manage/give/{child.pk}/{sessions.pk}/",
        {"typed_name": "Huda Hassan", "confirm": "on", "version": shown.pk},
    )
    assert response.status_code == 200
    assert "The wording changed while you were reading it" in text(response)
    assert not ConsentRecord.objects.filter(consent_type=sessions, decision="granted").exists()


def test_another_guardians_page_cannot_give_for_a_child_not_theirs(child, parent):
    sessions = ConsentType.objects.get(code="online_sessions")
    response = parent.get(f"/consent/manage/give/{child.pk + 999}/{sessions.pk}/")
    assert response["Location"] == "/consent/manage/"


@pytest.mark.parametrize(
    ("cookie", "heading", "button"),
    [
        (None, "This link has expired", "Email me a new link"),
        ("cy", "Mae'r ddolen hon wedi dod i ben", "Anfonwch ddolen newydd ataf drwy e-bost"),
    ],
)
def test_an_expired_link_asks_for_a_fresh_one_in_either_language(
    child, alice, django_capture_on_commit_callbacks, cookie, heading, button
):
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "photos_online", capture=capture),
        {"photos_online": "granted"},
        capture=capture,
    )
    manage_link = MANAGE_LINK.search(mail.outbox[-1].body).group(1)
    then = timezone.now() - dt.timedelta(days=settings.CONSENT_MANAGE_LINK_IDLE_DAYS + 1)
    GuardianAccess.objects.update(created_at=then, last_used_at=then)
    browser = Client()
    if cookie:
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    assert browser.get(manage_link)["Location"] == "/consent/manage/expired/"
    page = text(browser.get("/consent/manage/expired/"))
    assert heading in page
    assert button in page
    assert "Alder Play Therapy" in page  # the service it was, from the link
    assert 'action="/consent/manage/new-link/"' in page
    before = len(mail.outbox)
    with capture(execute=True):
        sent = browser.post("/consent/manage/new-link/", {"email": "huda@example.test"})
    assert sent.status_code == 200
    fresh = MANAGE_LINK.search(mail.outbox[before].body).group(1)
    assert fresh != manage_link
    assert browser.get(fresh)["Location"] == "/consent/manage/continue/"
