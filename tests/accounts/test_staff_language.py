"""Staff pages follow the language chosen on the profile page (Django's
set_language cookie), else English: the shared chrome, the sign-in pages and
the error pages come from accounts' Welsh catalogue."""

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.auth import LOGIN_URL, post_password
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = "/account/"


def _in_welsh(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    return client


def test_the_header_and_navigation_are_in_welsh_with_the_cookie(
    client_for: Callable[[User], Client], alice: User
) -> None:
    response = _in_welsh(client_for(alice)).get(PROFILE)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "cy"
    assert '<html lang="cy"' in html
    for welsh in ("Neidio i'r prif gynnwys", "Allgofnodi", "Hafan", "Codi pryder", "Fy mhryderon"):
        assert welsh in html, welsh
    assert "Eich cyfrif" in html
    for english in (">Sign out<", ">Home<", ">Raise a concern<", ">Your account<"):
        assert english not in html, english


def test_the_header_and_navigation_are_in_english_without_it(
    client_for: Callable[[User], Client], alice: User
) -> None:
    response = client_for(alice).get(PROFILE)
    html = response.content.decode()
    assert response["Content-Language"] == "en-gb"
    assert '<html lang="en-GB"' in html
    for english in ("Skip to main content", "Sign out", ">Home<", "Raise a concern"):
        assert english in html, english
    assert "Allgofnodi" not in html
    assert "Hafan" not in html


def test_the_sign_in_page_is_in_welsh_with_the_cookie_and_english_without() -> None:
    welsh = _in_welsh(Client()).get(LOGIN_URL)
    assert welsh["Content-Language"] == "cy"
    html = welsh.content.decode()
    assert "Mewngofnodi i Safeguard" in html
    assert "Nid oes angen cyfrif ar rieni a gofalwyr" in html
    assert '<label class="govuk-label" for="id_auth-username">Cyfeiriad e-bost</label>' in html
    assert '<label class="govuk-label" for="id_auth-password">Cyfrinair</label>' in html
    assert "Sign in to Safeguard" not in html

    english = Client().get(LOGIN_URL)
    assert english["Content-Language"] == "en-gb"
    assert "Sign in to Safeguard" in english.content.decode()
    assert "Mewngofnodi" not in english.content.decode()


def test_a_wrong_password_is_told_in_welsh(alice: User) -> None:
    response = post_password(_in_welsh(Client()), alice.email, "not the password at all")
    html = response.content.decode()
    assert "<title>Gwall: Mewngofnodi \N{EN DASH} Safeguard</title>" in html
    assert "Mae problem wedi codi" in html
    assert "Rhowch gyfeiriad e-bost a chyfrinair cywir." in html


@pytest.mark.parametrize("cookie", ["fr", "cy-GB", "", "en-gb; cy", "<script>"])
def test_an_unknown_cookie_falls_back_to_english(cookie: str) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert response["Content-Language"] == "en-gb"
    assert "Sign in to Safeguard" in response.content.decode()


def test_an_unknown_page_is_not_found_in_welsh() -> None:
    response = _in_welsh(Client()).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="cy"' in html
    assert "Heb ddod o hyd i'r dudalen" in html


def test_choosing_cymraeg_on_the_profile_then_english(
    client_for: Callable[[User], Client], alice: User
) -> None:
    client = client_for(alice)
    profile = client.get(PROFILE).content.decode()
    assert f'action="{reverse("set_language")}"' in profile
    assert 'name="language" type="radio" value="cy"' in profile
    assert 'name="language" type="radio" value="en-gb" checked' in profile

    response = client.post(reverse("set_language"), {"language": "cy", "next": PROFILE})
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    welsh = client.get(PROFILE).content.decode()
    assert "Hafan" in welsh
    assert "Hysbysiadau" in welsh
    assert 'name="language" type="radio" value="cy" checked' in welsh

    client.post(reverse("set_language"), {"language": "en-gb", "next": PROFILE})
    english = client.get(PROFILE).content.decode()
    assert ">Home<" in english
    assert ">Notices" in english
    assert "Hafan" not in english


def test_the_choice_outlives_signing_out(client_for: Callable[[User], Client], alice: User) -> None:
    """The cookie belongs to the browser, so the sign-in page after signing
    out is still in the language chosen."""
    client = client_for(alice)
    client.post(reverse("set_language"), {"language": "cy", "next": PROFILE})
    client.post(reverse("logout"))
    assert "Mewngofnodi i Safeguard" in client.get(LOGIN_URL).content.decode()


def test_the_lockout_page_is_in_welsh(alice: User) -> None:
    client = _in_welsh(Client())
    for _ in range(5):
        post_password(client, alice.email, "wrong password", REMOTE_ADDR="203.0.113.9")
    response = post_password(client, alice.email, PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Mewngofnodi wedi'i gloi am 30 munud" in html
    assert "Sign-in locked" not in html


def test_confirm_it_is_you_and_its_refusal_are_in_welsh(
    client_for: Callable[[User], Client], alice: User
) -> None:
    client = _in_welsh(client_for(alice))
    page = client.get("/account/confirm/").content.decode()
    assert "Cadarnhau mai chi sydd yno" in page
    assert "ch ap dilysu, neu god wrth gefn</label>" in page
    refused = client.post("/account/confirm/", {"password": "", "code": ""}).content.decode()
    assert "Gwall: Cadarnhau mai chi sydd yno" in refused
    assert "Rhowch eich cyfrinair, neu god o" in refused
