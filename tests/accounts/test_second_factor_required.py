"""No staff URL and no admin URL answers a session without a verified second factor."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.auth import force_verified_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The only views a signed-in but unverified user may reach: the enrolment journey
# and signing out. Public views (sign-in, health, invitation links) are separate.
ENROLMENT_URLS = {"/account/two-factor/setup/", "/account/two-factor/qr/", "/account/logout/"}
PUBLIC_URLS = {"/account/login/", "/healthz", "/consent/manage/new-link/"}
# Parents' consent links and pages, and the link a child protection file is collected
# through: public, and without a valid link a clear 404.
PUBLIC_PREFIXES = (
    "/account/invitation/",
    "/c/",
    "/m/",
    "/consent/sign/",
    "/consent/receipt/",
    "/consent/manage/",
    # A receiving setting's link to a child protection file (no account).
    "/incidents/file/",
    # The language switch on parents' pages: sets a cookie, holds nothing.
    "/language/",
    # The organisation's logo on parents' pages.
    "/o/",
)


def concrete_urls() -> list[str]:
    """Every URL pattern in the project, with sample values for its arguments."""
    urls: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                route = route.replace("^", "").replace("$", "").replace("\\Z", "")
                for converter in ("<int:pk>", "<path:object_id>", "<int:object_id>"):
                    route = route.replace(converter, "1")
                route = route.replace("<str:uidb64>", "MQ").replace("<str:token>", "x-y")
                route = route.replace("<int:child_pk>", "1").replace("<int:type_pk>", "1")
                route = route.replace("<app_label>", "safeguard")
                if "<" in route or "(?P" in route or "(" in route:
                    continue  # regex admin routes: covered by their named siblings
                urls.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(urls))


URLS = concrete_urls()


def test_the_walk_finds_staff_and_admin_urls() -> None:
    assert "/staff/" in URLS
    assert "/admin/" in URLS
    assert "/admin/safeguard/user/" in URLS
    assert len(URLS) > 30


@pytest.mark.parametrize("url", URLS)
def test_password_only_session_reaches_nothing(client: Client, url: str) -> None:
    """An enrolled user signed in with a password but no code: signed out and sent to sign in."""
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)  # a password-verified session, no OTP device verified
    response = client.get(url)
    if url in PUBLIC_URLS or url.startswith(PUBLIC_PREFIXES):
        assert response.status_code in {200, 302, 404, 405}  # 405: a POST-only action
        return
    if url in ENROLMENT_URLS:
        # Enrolment pages must not let an enrolled user add a device unverified.
        assert response.status_code in {302, 404, 405}
        if response.status_code == 302:
            assert not response["Location"].startswith("/account/two-factor/setup/")
        return
    assert response.status_code == 302, f"{url} answered {response.status_code}"
    assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize("url", URLS)
def test_anonymous_reaches_only_public_pages(client: Client, url: str) -> None:
    response = client.get(url)
    if url in PUBLIC_URLS or url.startswith(PUBLIC_PREFIXES):
        assert response.status_code in {200, 404, 405}  # 405: a POST-only action
        return
    assert response.status_code in {302, 405}, f"{url} answered {response.status_code}"
    if response.status_code == 302:
        # The admin's own login page forwards to ours.
        final = client.get(url, follow=True).redirect_chain[-1][0]
        assert final.startswith("/account/login/"), final


@pytest.mark.parametrize("url", ["/", "/staff/", "/account/security/", "/admin/"])
def test_user_without_authenticator_is_sent_to_set_one_up(client: Client, url: str) -> None:
    user = UserFactory(authenticator=False, role="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/setup/"


def test_admin_site_needs_the_second_factor_even_for_superusers(client: Client) -> None:
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 302
    force_verified_login(client, superuser)
    assert client.get("/admin/").status_code == 200
