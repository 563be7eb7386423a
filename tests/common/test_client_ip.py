"""Which address the lockout counter and the audit log see."""

from django.test import RequestFactory

from common.requests import client_ip, sign_in_email


def request(**meta: str):
    return RequestFactory().get("/", **meta)


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(settings) -> None:
    settings.TRUST_PROXY_HEADERS = False
    assert client_ip(request(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.0.0.1")) == (
        "203.0.113.7"
    )


def test_behind_a_trusted_proxy_its_appended_entry_counts(settings) -> None:
    settings.TRUST_PROXY_HEADERS = True
    forged_then_real = request(
        REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.23"
    )
    assert client_ip(forged_then_real) == "198.51.100.23"


def test_garbage_addresses_become_none(settings) -> None:
    settings.TRUST_PROXY_HEADERS = True
    assert client_ip(request(REMOTE_ADDR="not-an-ip", HTTP_X_FORWARDED_FOR="<script>")) is None


def test_sign_in_email_is_normalised_for_the_lockout_counter() -> None:
    assert sign_in_email(None, {"username": "  Alice@Alder.TEST "}) == "alice@alder.test"
    post = RequestFactory().post("/", {"auth-username": "BOB@x.test"})
    assert sign_in_email(post) == "bob@x.test"
