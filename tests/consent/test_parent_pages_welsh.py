"""Every parent page other than signing, in Welsh with the switch's cookie, in
English without it, and in Welsh where the organisation chose Welsh first and
the parent never touched the switch: the page's words and its <html lang>."""

import datetime as dt
import html
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone

from consent import throttle
from consent.models import ConsentType, GuardianAccess
from policies import services as policy_services
from policies.models import PolicyVersion
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask
from tests.policies import test_child_agreements

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

MANAGE_LINK = re.compile(r"http://testserver(/m/\S+/)")


@pytest.fixture
def manage_link(child, alice, django_capture_on_commit_callbacks) -> str:
    """Huda gave photos online and refused online sessions; her manage link."""
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "photos_online", "online_sessions", capture=capture)
    answer(
        Client(), link, {"photos_online": "granted", "online_sessions": "refused"}, capture=capture
    )
    return MANAGE_LINK.search(mail.outbox[-1].body).group(1)


def browser(language: str | None) -> Client:
    client = Client()
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def continued(client: Client, link: str) -> Client:
    client.get(link)
    client.post("/consent/manage/continue/")
    return client


def _manage(client: Client, link: str, child) -> str:
    return continued(client, link).get("/consent/manage/")


def _continue(client: Client, link: str, child) -> str:
    client.get(link)
    return client.get("/consent/manage/continue/")


def _withdraw(client: Client, link: str, child) -> str:
    photos = ConsentType.objects.get(code="photos_online")
    return continued(client, link).get(f"/consent/manage/withdraw/{child.pk}/{photos.pk}/")


def _regrant(client: Client, link: str, child) -> str:
    sessions = ConsentType.objects.get(code="online_sessions")
    return continued(client, link).get(f"/consent/manage/give/{child.pk}/{sessions.pk}/")


def _expired(client: Client, link: str, child) -> str:
    then = timezone.now() - dt.timedelta(days=settings.CONSENT_MANAGE_LINK_IDLE_DAYS + 1)
    GuardianAccess.objects.update(created_at=then, last_used_at=then)
    client.get(link)
    return client.get("/consent/manage/expired/")


# page -> (how to open it, English words, Welsh words)
KNOWN_ORGANISATION: dict[str, tuple[Callable, str, str]] = {
    "manage": (_manage, "Your consents", "Eich caniatadau"),
    "manage_continue": (_continue, "See your consents", "Gweld eich caniatadau"),
    "withdraw": (_withdraw, "Withdraw consent", "Tynnu caniatâd yn ôl"),
    "regrant": (_regrant, "Give consent", "Rhoi caniatâd"),
    "manage_expired": (_expired, "This link has expired", "Mae'r ddolen hon wedi dod i ben"),
}


def shown(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("page", sorted(KNOWN_ORGANISATION))
def test_a_page_is_in_welsh_with_the_cookie(page, manage_link, child):
    open_page, _english, welsh = KNOWN_ORGANISATION[page]
    text = shown(open_page(browser("cy"), manage_link, child))
    assert '<html lang="cy"' in text
    assert welsh in text
    assert "Pwy i ddweud wrtho am bryder" in text
    assert "Os yw plentyn mewn perygl uniongyrchol, ffoniwch 999." in text
    assert "Alder Play Therapy" in text  # the service's own name in the header
    # The switch offers the other language.
    assert 'value="en-gb"' in text


@pytest.mark.parametrize("page", sorted(KNOWN_ORGANISATION))
def test_a_page_is_in_english_without_the_cookie(page, manage_link, child):
    open_page, english, welsh = KNOWN_ORGANISATION[page]
    text = shown(open_page(browser(None), manage_link, child))
    assert '<html lang="en-GB"' in text
    assert english in text
    assert welsh not in text
    assert "Who to tell about a worry" in text
    assert 'value="cy"' in text
    # No staff chrome on a parent's page.
    assert "Sign in" not in text
    assert 'class="govuk-footer' not in text


@pytest.mark.parametrize("page", sorted(KNOWN_ORGANISATION))
def test_a_page_is_in_welsh_when_the_organisation_chose_welsh(
    page, manage_link, child, organisation
):
    organisation.parent_language = "cy"
    organisation.save(update_fields=["parent_language"])
    open_page, english, welsh = KNOWN_ORGANISATION[page]
    text = shown(open_page(browser(None), manage_link, child))
    assert '<html lang="cy"' in text
    assert welsh in text
    # The parent's own choice still wins.
    text = shown(open_page(browser("en-gb"), manage_link, child))
    assert '<html lang="en-GB"' in text
    assert english in text


NO_ORGANISATION = {
    "link_gone": ("/m/not-a-real-link/", "This link no longer works", "Nid yw'r ddolen hon"),
    "manage_link_request": (
        "/consent/manage/new-link/",
        "Get a new link to your consents",
        "Cael dolen newydd i'ch caniatadau",
    ),
}


@pytest.mark.parametrize("page", sorted(NO_ORGANISATION))
@pytest.mark.parametrize("language", [None, "cy"])
def test_a_page_with_no_service_known_follows_the_cookie_else_english(page, language):
    path, english, welsh = NO_ORGANISATION[page]
    text = shown(browser(language).get(path))
    assert (welsh if language else english) in text
    assert f'<html lang="{"cy" if language else "en-GB"}"' in text
    assert "999" in text


@pytest.mark.parametrize("language", [None, "cy"])
def test_the_link_sent_page_follows_the_cookie(language, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = browser(language).post(
            "/consent/manage/new-link/", {"email": "nobody@example.test"}
        )
    text = shown(response)
    assert ("Edrychwch ar eich e-bost" if language else "Check your email") in text
    # A form error is in the page's language too.
    error = shown(browser(language).post("/consent/manage/new-link/", {"email": ""}))
    assert ("Mae problem" if language else "There is a problem") in error


@pytest.mark.parametrize("language", [None, "cy"])
def test_too_many_tries_follows_the_cookie(language):
    request = RequestFactory().get("/m/x/")
    if language:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
    response = throttle.too_many(request, "link_guess")
    text = shown(response)
    assert response.status_code == 429
    assert ("Gormod o ymdrechion" if language else "Too many tries") in text
    assert f'<html lang="{"cy" if language else "en-GB"}"' in text


def test_the_switch_sets_the_cookie_and_returns_to_the_page():
    response = Client().post("/language/", {"language": "cy", "next": "/consent/manage/new-link/"})
    assert response.status_code == 302
    assert response["Location"] == "/consent/manage/new-link/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"


def test_a_new_manage_link_is_emailed_in_the_organisations_first_language(
    manage_link, organisation, django_capture_on_commit_callbacks
):
    organisation.parent_language = "cy"
    organisation.save(update_fields=["parent_language"])
    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/consent/manage/new-link/", {"email": "huda@example.test"})
    (email,) = mail.outbox[before:]
    assert email.subject == "Eich dolen i weld a thynnu caniatâd yn ôl"
    assert "Helo Huda Hassan," in email.body
    assert "PWY I DDWEUD WRTHO AM BRYDER" in email.body
    assert MANAGE_LINK.search(email.body)


# --- the policies a parent reads on their link, and their child's agreement ------------------

juniors = test_child_agreements.juniors
noor = test_child_agreements.noor
huda = test_child_agreements.huda


@pytest.fixture
def parents_policy(organisation, bob) -> PolicyVersion:
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Code of conduct for parents",
        category="conduct_parents",
        body="We treat each other with respect.",
        audience_parents=True,
    )
    # The organisation's own Welsh text, written on the draft before approval.
    draft.body_cy = "Rydym yn trin ein gilydd â pharch."
    draft.save(update_fields=["body_cy"])
    return policy_services.version_approve(
        draft=draft,
        by=bob,
        approved_on=timezone.localdate() - dt.timedelta(days=1),
        approved_by_name="The trustees",
    )


@pytest.mark.parametrize(
    ("language", "lang", "words"),
    [
        (
            None,
            "en-GB",
            [
                "Back to your consents",
                "I have read and agree to the Code",
                "We treat each other with respect.",
            ],
        ),
        (
            "cy",
            "cy",
            [
                "Yn ôl i'ch caniatadau",
                "Rwyf wedi darllen ac yn cytuno i'r Code",
                "Rydym yn trin ein gilydd â pharch.",
            ],
        ),
    ],
)
def test_a_policy_to_read_follows_the_language(huda, parents_policy, language, lang, words):
    client = test_child_agreements.manage_link(huda)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    manage = shown(client.get("/consent/manage/"))
    assert f'<html lang="{lang}"' in manage
    assert ("Polisïau i'w darllen" if language else "Policies to read") in manage
    page = shown(client.get(f"/consent/manage/policies/{parents_policy.pk}/"))
    assert f'<html lang="{lang}"' in page
    for word in words:
        assert word in page
    # Only the language shown: a Welsh reader is not shown the English text too.
    other = "We treat each other" if language else "Rydym yn trin"
    assert other not in page


@pytest.mark.parametrize(
    ("language", "lang", "words"),
    [
        (None, "en-GB", ["Read it together with Noor", "Noor read this with me and agrees"]),
        ("cy", "cy", ["Darllenwch ef gyda Noor", "Mae Noor wedi darllen hwn gyda fi ac yn cytuno"]),
    ],
)
def test_a_childs_agreement_follows_the_language(noor, huda, juniors, language, lang, words):
    client = test_child_agreements.manage_link(huda)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    manage = shown(client.get("/consent/manage/"))
    assert ("Cytundebau i'w darllen gyda'ch plentyn" if language else "Agreements to read") in (
        manage
    )
    page = shown(client.get(test_child_agreements.parent_path(noor, juniors)))
    assert f'<html lang="{lang}"' in page
    for word in words:
        assert word in page
