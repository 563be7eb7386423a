"""The invitation email, written when it is sent: the link is made then, from
the account's state, so no token sits in the broker or the outbox."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from accounts.permissions import is_admin
from accounts.tokens import invitation_path_args
from common.registry import EMAIL_COMPOSERS
from outbox.composers import Composed, Composer

KIND = "accounts.invitation"


def _compose(user: User) -> Composed | None:
    if not user.invitation_pending:
        return None  # accepted, or deactivated, since it was queued
    uidb64, token = invitation_path_args(user)
    # Someone who has signed in before is here because their sign-in was reset.
    returning = user.last_login is not None
    context = {
        "returning": returning,
        "user": user,
        "organisation": user.organisation,
        "invited_by": user.invited_by,
        "link": settings.SITE_URL + reverse("invitation_accept", args=[uidb64, token]),
        "hours": settings.INVITATION_TIMEOUT_SECONDS // 3600,
    }
    return Composed(
        subject=(
            f"Set up your Safeguard sign-in again for {user.organisation.name}"
            if returning
            else f"You have been invited to Safeguard for {user.organisation.name}"
        ),
        body=render_to_string("emails/invitation.txt", context),
        html=render_to_string("emails/invitation.html", context),
    )


def _admin_of(user: User, member: User) -> bool:
    return is_admin(user) and user.organisation_id == member.organisation_id


EMAIL_COMPOSERS.register(
    Composer(
        kind=KIND,
        label="invitation",
        compose=_compose,
        visible_to=_admin_of,
        may_resend=_admin_of,
        url=lambda member: reverse("staff_list"),
        still_wanted=lambda member: member.invitation_pending,
    )
)
