"""The email that carries a child protection file's collection link, written
when it is sent.

The link's token exists only in the email: each send makes a new one and keeps
only its hash, so a resent email carries the link that works. The passphrase
is never in it; the subject never names the child.
"""

import secrets

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import LEAD_ROLES, User
from common.registry import EMAIL_COMPOSERS
from incidents.services.transfers import EMAIL_KIND, token_hash
from incidents.transfer_models import FileTransfer
from outbox.composers import Composed, Composer


def _wanted(transfer: FileTransfer) -> bool:
    return transfer.collected_at is None and not transfer.link_expired


def _compose(transfer: FileTransfer) -> Composed | None:
    if not _wanted(transfer):
        return None
    token = secrets.token_urlsafe(32)
    FileTransfer.objects.filter(pk=transfer.pk).update(token_sha256=token_hash(token))
    context = {
        "transfer": transfer,
        "organisation": transfer.organisation,
        "sender": transfer.created_by,
        "link": settings.SITE_URL + reverse("transfer_open", args=[token]),
    }
    return Composed(
        subject=f"A child protection file from {transfer.organisation.name} for you to collect",
        body=render_to_string("emails/file_transfer.txt", context),
    )


def _lead(user: User, transfer: FileTransfer) -> bool:
    return (
        user.is_active
        and user.organisation_id == transfer.organisation_id
        and user.role in LEAD_ROLES
    )


EMAIL_COMPOSERS.register(
    Composer(
        kind=EMAIL_KIND,
        label="child protection file link",
        compose=_compose,
        visible_to=_lead,
        may_resend=_lead,
        url=lambda transfer: reverse("transfer_detail", args=[transfer.pk]),
        still_wanted=_wanted,
    )
)
