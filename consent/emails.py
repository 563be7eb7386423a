"""The consent request email, written when it is sent.

The link's token exists only in the email: each send makes a new one and keeps
only its hash, so a retried or resent email carries the link that works and
any earlier, undelivered one never will.
"""

from typing import Any

from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from common.registry import EMAIL_COMPOSERS
from consent.models import ConsentRequest, RequestStatus
from outbox.composers import Composed, Composer

KIND = "consent.request"


def _compose(consent_request: ConsentRequest) -> Composed | None:
    from consent import services

    if consent_request.status != RequestStatus.SENT or consent_request.is_expired:
        return None
    token, digest = services._token()
    ConsentRequest.objects.filter(pk=consent_request.pk).update(token_sha256=digest)
    context = {
        "guardian": consent_request.guardian,
        "child": consent_request.child,
        "organisation": consent_request.organisation,
        "link": settings.SITE_URL + reverse("consent_open", args=[token]),
        "days": services.REQUEST_VALID_DAYS,
        "items": consent_request.items.select_related("consent_type"),
    }
    return Composed(
        subject=f"Please answer: consent for {consent_request.child.first_name} "
        f"at {consent_request.organisation.name}",
        body=render_to_string("emails/consent_request.txt", context),
        html=render_to_string("emails/consent_request.html", context),
    )


def _visible(user: User, consent_request: ConsentRequest) -> bool:
    from consent.permissions import get_consent_request_for_user

    try:
        get_consent_request_for_user(user, consent_request.pk)
    except Http404:
        return False
    return True


def _resend(*, purpose: ConsentRequest, by: User) -> Any:
    from consent import services

    return services.consent_request_resend(consent_request=purpose, by=by)


EMAIL_COMPOSERS.register(
    Composer(
        kind=KIND,
        label="consent request",
        compose=_compose,
        visible_to=_visible,
        # Whoever may see a child may ask its parents for consent.
        may_resend=_visible,
        url=lambda consent_request: reverse("child_detail", args=[consent_request.child_id]),
        still_wanted=lambda consent_request: (
            consent_request.status == RequestStatus.SENT and not consent_request.is_expired
        ),
        resend=_resend,
    )
)
