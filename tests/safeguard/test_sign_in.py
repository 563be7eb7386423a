"""The sign-in page, the home page behind it, and the headers every page carries."""

import re

import pytest
from django.test import Client

from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_fields(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="govuk-label" for="id_username">Email address</label>' in html
    assert '<label class="govuk-label" for="id_password">Password</label>' in html
    assert 'href="#main-content"' in html


def test_home_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_sign_in_shows_own_organisation(client: Client, alice) -> None:
    OrganisationFactory(name="Birch Music Therapy", slug="birch")
    response = client.post(
        "/accounts/login/", {"username": "ALICE@alder.test", "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "Alder Play Therapy" in html
    assert "Alice Adeyemi" in html
    assert "Birch Music Therapy" not in html


def test_wrong_password_is_explained_beside_the_form_without_naming_the_account(
    client: Client, alice
) -> None:
    wrong = client.post("/accounts/login/", {"username": alice.email, "password": "nope"})
    unknown = client.post("/accounts/login/", {"username": "nobody@x.test", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    for response in (wrong, unknown):
        html = response.content.decode()
        assert "There is a problem" in html
        assert "Enter a correct email address and password." in html
        assert "<title>Error: Sign in" in html


def test_invalid_email_gets_a_message_next_to_the_field(client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "not-an-email", "password": "x"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_username-error-1"' in html
    assert 'id="id_username-error-1"' in html


def test_signed_in_pages_are_not_cached(client: Client, alice) -> None:
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_sign_out_is_a_post_and_ends_the_session(client: Client, alice) -> None:
    client.force_login(alice)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_security_headers_and_a_csp_without_inline_script(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/"])
def test_pages_have_no_inline_script_or_handlers(client: Client, path: str) -> None:
    if path == "/":
        client.force_login(UserFactory())
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "expected the page to load its script file"
    assert all(" src=" in tag for tag in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler found"
    assert not re.search(r"\sstyle\s*=", html), "inline style attribute found"
