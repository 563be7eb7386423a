from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from outbox import services
from outbox.composers import composer_for
from outbox.permissions import get_message_for_user


@require_POST
def message_resend(request: AuthedRequest, pk: int) -> HttpResponse:
    message = get_message_for_user(request.user, pk, "resend")
    composer = composer_for(message.kind)
    if composer is None:  # get_message_for_user 404s already; this keeps mypy told
        raise Http404
    back = composer.url(message.purpose)
    try:
        services.message_resend(message=message, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"The {composer.label} email is queued to be sent again.")
    return redirect(back)
