"""form_step: the one "one form, one service call" page."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from common.views import form_step

pytestmark = pytest.mark.django_db


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=20)


def _request(user, method: str = "get", data: dict | None = None):
    request = getattr(RequestFactory(), method)("/somewhere/", data or {})
    user.is_verified = lambda: True  # as django-otp's middleware marks a signed-in user
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _step(request, calls: list, refuse: ValidationError | None = None):
    def call(data):
        calls.append(data)
        if refuse is not None:
            raise refuse
        return 42

    return form_step(
        request,
        ReasonForm(request.POST or None),
        call=call,
        then=lambda result: f"/records/{result}/",
        done=lambda result: f"Record {result} saved.",
        title="Give a reason",
        intro="Kept with the record.",
        back="/back/",
        caption="OS-2026-0042",
        button="Save the reason",
        warning=True,
    )


def test_get_shows_the_form_and_calls_nothing(alice) -> None:
    calls: list = []
    response = _step(_request(alice), calls)
    page = response.content.decode()
    assert response.status_code == 200
    assert calls == []
    assert "Give a reason" in page
    assert "OS-2026-0042" in page
    assert 'href="/back/"' in page
    assert "govuk-button--warning" in page
    assert "Save the reason" in page
    assert "multipart/form-data" not in page


def test_a_valid_post_calls_the_service_once_and_redirects_with_its_result(alice) -> None:
    calls: list = []
    request = _request(alice, "post", {"reason": "Police inquiry"})
    response = _step(request, calls)
    assert response.status_code == 302
    assert response["Location"] == "/records/42/"
    assert calls == [{"reason": "Police inquiry"}]
    assert [str(m) for m in get_messages(request)] == ["Record 42 saved."]


def test_bad_input_shows_the_form_again_without_calling_the_service(alice) -> None:
    calls: list = []
    response = _step(_request(alice, "post", {"reason": "x" * 500}), calls)
    assert response.status_code == 200
    assert calls == []
    assert "Error: Give a reason" in response.content.decode()


def test_a_refusal_from_the_service_goes_back_onto_the_form(alice) -> None:
    calls: list = []
    refusal = ValidationError({"reason": "A hold already covers this child."})
    response = _step(_request(alice, "post", {"reason": "Police inquiry"}), calls, refusal)
    page = response.content.decode()
    assert response.status_code == 200
    assert len(calls) == 1
    assert "A hold already covers this child." in page
    assert "govuk-error-summary" in page
