"""Sending an email from a pair of templates, the one way every part of Safeguard does."""

import zoneinfo
from collections.abc import Sequence
from contextlib import nullcontext

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


def send_email(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, object],
    html: bool = True,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    tz: zoneinfo.ZoneInfo | None = None,
) -> None:
    """Render emails/<template>.txt (and .html, unless html=False) and send it.

    With ``tz``, dates in the email are shown in that timezone (the recipient's
    organisation's), not the server's. Errors propagate: the caller decides
    whether a failed send is retried, logged, or fails the task.
    """
    with timezone.override(tz) if tz else nullcontext():
        body = render_to_string(f"emails/{template}.txt", context)
        html_body = render_to_string(f"emails/{template}.html", context) if html else None
    message = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    if html_body is not None:
        message.attach_alternative(html_body, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
