"""Error pages render our own templates and leak nothing about the request."""

import pytest
from django.test import Client, RequestFactory
from django.views import defaults


@pytest.mark.django_db
def test_unknown_url_gets_our_404_without_echoing_the_path(client: Client) -> None:
    response = client.get("/children/secret-name-of-a-child/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "secret-name-of-a-child" not in html
    assert "Traceback" not in html


def test_500_page_renders_without_a_request_context() -> None:
    response = defaults.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "Nothing you had already saved has been lost" in html


@pytest.mark.parametrize(
    ("view", "status", "text"),
    [
        (defaults.bad_request, 400, "there is a problem with that request"),
        (defaults.permission_denied, 403, "You do not have permission"),
    ],
)
def test_400_and_403_pages(view, status: int, text: str) -> None:
    response = view(RequestFactory().get("/"), exception=Exception("internal detail"))
    html = response.content.decode()
    assert response.status_code == status
    assert text in html
    assert "internal detail" not in html
