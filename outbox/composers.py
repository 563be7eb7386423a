"""How each kind of queued email is written, and who may send it again.

An app contributes a ``Composer`` from its own ``emails.py``
(``@EMAIL_COMPOSERS.register``), so the outbox, which sits below every app,
never imports the apps whose emails it carries.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from common.registry import EMAIL_COMPOSERS


@dataclass(frozen=True)
class Composed:
    subject: str
    body: str
    html: str = ""


@dataclass(frozen=True)
class Composer:
    kind: str
    # What staff call it: "consent request", "invitation"...
    label: str
    # The email, written now; None when its purpose no longer wants it (the
    # invitation was accepted meanwhile, say), and then nothing is sent.
    compose: Callable[[Any], Composed | None]
    # Whether ``user`` may see this purpose, and whether they may send its email again.
    visible_to: Callable[[User, Any], bool]
    may_resend: Callable[[User, Any], bool]
    # Where staff see the purpose (and its delivery state).
    url: Callable[[Any], str]
    # Whether a failure still matters: False once the purpose is over (the
    # request was answered or cancelled), which ends its reminders.
    still_wanted: Callable[[Any], bool] = lambda purpose: True
    # A send again that is more than a copy (a consent request gets a new
    # request and link); returns the purpose of the new email.
    resend: Callable[..., Any] | None = None
    on_sent: Callable[[Any], None] | None = None


def composer_for(kind: str) -> Composer | None:
    if not kind:
        return None
    for composer in EMAIL_COMPOSERS.items():
        if composer.kind == kind:
            return composer
    raise LookupError(f"No email composer for {kind!r}")
