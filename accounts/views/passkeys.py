"""Adding and removing passkeys from one's own sign-in security page.

The registration endpoints are django-otp-webauthn's own, driven by its script;
only the final save goes through our service so it is audited. Every view here
needs a verified second factor (the middleware's default), which is also what
the library demands before registering.

Adding or removing a passkey needs the person to have confirmed who they are
within the last few minutes (accounts.recent_auth), as adding an authenticator
does: begin refuses without it, and remove sends them to confirm first. Complete
asks again, as the window may have closed since begin.
"""

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.exceptions import (
    MalformedRequest,
    OTPWebAuthnApiError,
    UnprocessableEntity,
)
from django_otp_webauthn.utils import rewrite_exceptions

from accounts import services
from accounts.http import AuthedRequest
from accounts.passkeys import ANSWER_ERRORS, passkey_label, passkeys_of
from accounts.recent_auth import identity_confirmed_recently, recent_auth_required_then

NOT_REGISTERED = "The passkey could not be added. Try again."
CONFIRM_FIRST = "Confirm it is you before adding a passkey."


class _JSONBodyOnly:
    """The library's script sends JSON and nothing else. The library would parse
    any other body as a form, and a body that is not UTF-8 escapes its checks as
    a 500; here both are the client's mistake, a 400."""

    def _parse_request_data(self, request: HttpRequest) -> object:
        if request.content_type != "application/json":
            return {}
        try:
            return json.loads(request.body) if request.body else {}
        except ValueError as error:  # not JSON, or not UTF-8
            raise MalformedRequest() from error


class PasskeyRegisterBeginView(_JSONBodyOnly, webauthn_views.BeginCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        # The script asks for JSON, so a redirect to the confirmation page
        # would be lost on it; the page links there itself (passkeys_section).
        if not identity_confirmed_recently(self.request):
            return JsonResponse({"detail": CONFIRM_FIRST}, status=403)
        return super().post(*args, **kwargs)


class PasskeyRegisterCompleteView(_JSONBodyOnly, webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        # Begun inside the confirmation window is not enough: it may have lapsed since.
        if not identity_confirmed_recently(self.request):
            return JsonResponse({"detail": CONFIRM_FIRST}, status=403)
        state = self.get_state()
        try:
            with rewrite_exceptions(logger=webauthn_views._get_pywebauthn_logger()):
                credential = services.passkey_register(
                    user=self.request.user,
                    helper=self.get_helper(),
                    state=state,
                    data=self.request.data,
                )
        except OTPWebAuthnApiError:
            raise
        except ANSWER_ERRORS as error:
            # The library lets some malformed answers through as a 500; a wrong
            # answer is the browser's mistake, not the server's.
            raise UnprocessableEntity(detail=NOT_REGISTERED) from error
        messages.success(self.request, f"{passkey_label(credential)} has been added.")
        return JsonResponse({"id": credential.pk})


passkey_register_begin = PasskeyRegisterBeginView.as_view()
passkey_register_complete = PasskeyRegisterCompleteView.as_view()
# The library's script reads its messages through Django's gettext catalog.
passkey_script_messages = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])


def passkey_script_config(request: AuthedRequest) -> dict[str, object]:
    """What django-otp-webauthn's registration script reads from the page."""
    return {
        "csrfToken": get_token(request),
        "beginRegistrationUrl": reverse("passkey_register_begin"),
        "completeRegistrationUrl": reverse("passkey_register_complete"),
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
    }


@require_POST
@recent_auth_required_then("account_security")
def passkey_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    # Only the user's own passkeys: someone else's id is simply not found.
    credential = passkeys_of(request.user).filter(pk=pk).first()
    if credential is None:
        raise Http404
    try:
        services.passkey_remove(
            user=request.user,
            credential=credential,
            # Set on request.user by OTPMiddleware; django-otp has no types.
            signed_in_with=request.user.otp_device,  # type: ignore[attr-defined]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{passkey_label(credential)} has been removed.")
    return redirect("account_security")
