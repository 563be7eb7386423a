"""No email's subject names a child, and none says "urgent" twice.

A subject shows on a lock screen and in a shared inbox's list, to whoever is
near. Every kind of queued email (common.registry.EMAIL_COMPOSERS) must have a
builder here: a new kind without one fails, so none slips past. The emails sent
directly (the urgent notice as the sweep sends it) are checked too.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Role
from common.registry import EMAIL_COMPOSERS
from consent import records, services
from consent.models import ConsentRequest, ConsentType, GuardianAccess
from incidents import services as incidents
from incidents.services import transfers
from notices import engine
from notices.models import Notice
from outbox.composers import Composed
from tests.consent import test_consent
from tests.consent.test_parent_policies import parents_code
from tests.factories import ConsentRecordFactory

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

FIRST, LAST = "Noor", "Hassan"


def assert_fit(subject: str) -> None:
    assert FIRST.lower() not in subject.lower(), subject
    assert LAST.lower() not in subject.lower(), subject
    assert len(re.findall(r"urgent", subject, re.IGNORECASE)) <= 1, subject


def guardian_of(child):
    return child.guardian_links.get(guardian__email="huda@example.test").guardian


def _invitation(ctx: dict[str, Any]) -> Any:
    return accounts.staff_invite(
        organisation=ctx["organisation"],
        invited_by=ctx["bob"],
        email="newcomer@alder.test",
        full_name="Noor Newcomer",
        role=Role.STAFF,
    )


def _consent_request(ctx: dict[str, Any]) -> Any:
    services.consent_request_send(
        child=ctx["child"],
        guardians=[guardian_of(ctx["child"])],
        consent_types=[ConsentType.objects.get(code="online_sessions")],
        by=ctx["alice"],
    )
    return ConsentRequest.objects.latest("pk")


def _policy_changed(ctx: dict[str, Any]) -> Any:
    parents_code(ctx["organisation"], ctx["bob"])
    return guardian_of(ctx["child"])


def _file_transfer(ctx: dict[str, Any]) -> Any:
    child = ctx["child"]
    child.active_from = dt.date(2025, 9, 1)
    child.save()
    return transfers.transfer_start(
        child=child,
        by=ctx["dana"],
        left_on=timezone.localdate(),
        recipient_name="Sam Senior",
        recipient_role="Designated Safeguarding Lead",
        recipient_setting="Oak Academy",
        recipient_email="dsl@oak.test",
        passphrase_route="phone",
    ).transfer


def _withdrawal_confirmed(ctx: dict[str, Any]) -> Any:
    guardian = guardian_of(ctx["child"])
    sessions = ConsentType.objects.get(code="online_sessions")
    ConsentRecordFactory(child=ctx["child"], guardian=guardian, consent_type=sessions)
    access = GuardianAccess.objects.create(guardian=guardian, token_sha256="a" * 64)
    return services.consent_withdraw(access=access, child=ctx["child"], consent_type=sessions)


def _urgent_notice(ctx: dict[str, Any]) -> Any:
    # A therapist's verbal consent is told to the leads at once, its title
    # naming the child: the subject must not.
    records.verbal_consent_record(
        child=ctx["child"],
        guardian=guardian_of(ctx["child"]),
        consent_type=ConsentType.objects.get(code="online_sessions"),
        by=ctx["alice"],
        notes="By phone",
    )
    return Notice.objects.filter(urgent=True).latest("pk")


BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "accounts.invitation": _invitation,
    "consent.request": _consent_request,
    "consent.policy_changed": _policy_changed,
    "consent.withdrawal_confirmed": _withdrawal_confirmed,
    "incidents.file_transfer": _file_transfer,
    "notices.urgent": _urgent_notice,
}


# Parents' consent emails belong to the consent pages' own work; the subject of
# the request still names the child until that lands.
def test_every_kind_of_email_has_a_builder_here() -> None:
    assert {composer.kind for composer in EMAIL_COMPOSERS.items()} == set(BUILDERS)


@pytest.mark.parametrize(
    "kind",
    sorted(BUILDERS),
)
def test_no_subject_names_the_child_or_shouts(
    kind, child, organisation, alice, bob, dana, deputy
) -> None:
    ctx = {"child": child, "organisation": organisation, "alice": alice, "bob": bob, "dana": dana}
    purpose = BUILDERS[kind](ctx)
    (composer,) = [c for c in EMAIL_COMPOSERS.items() if c.kind == kind]
    composed = composer.compose(purpose)
    assert isinstance(composed, Composed)
    assert_fit(composed.subject)


def test_an_urgent_concern_says_urgent_once_with_its_reference(
    child, organisation, alice, dana, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = incidents.incident_raise(
            reporter=alice,
            children=[child],
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            disclosed_at=timezone.now(),
            category="contact",
            incident_type="grooming",
            what_happened="An adult asked Noor Hassan to move to a private app.",
            initial_risk="high",
        )
    (email,) = [m for m in mail.outbox if dana.email in m.to]
    assert_fit(email.subject)
    assert email.subject.lower().count("urgent") == 1
    assert incident.reference in email.subject
    assert organisation.name in email.subject


def test_the_sweeps_urgent_email_says_what_happened_to_a_child_unnamed(
    child, organisation, alice, dana
) -> None:
    records.verbal_consent_record(
        child=child,
        guardian=guardian_of(child),
        consent_type=ConsentType.objects.get(code="online_sessions"),
        by=alice,
        notes="By phone",
    )
    notice = Notice.objects.get(urgent=True, recipient=dana)
    assert FIRST in notice.title  # the portal shows who; the subject must not
    record = notice.ledger.object_id
    mail.outbox.clear()
    assert engine.urgent_send(notice_id=notice.pk)
    (email,) = mail.outbox
    assert_fit(email.subject)
    assert organisation.name in email.subject
    assert services.ConsentRecord.objects.filter(pk=record).exists()
    # What happened still shows, the child put as "a child".
    assert "recorded by Alice Adeyemi for a child" in email.subject
