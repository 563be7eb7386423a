"""Consent: asking, signing, withdrawing, and the gate every contact passes.

Every decision is a new ConsentRecord; the state of (child, consent type) is
derived from the latest record of each guardian with parental responsibility.
Where two guardians disagree the refusal wins and staff see the conflict.
"""

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.references import next_reference
from audit import context as audit_context
from audit import services as audit
from children.models import Child, ChildGuardian, Guardian
from children.services import allocated_staff
from common import i18n
from consent import parent_policies, regrant
from consent.emails import send_receipt
from consent.gate import (  # noqa: F401 - the consent gate's public names live here too
    CHANNEL_CONSENT,
    ConsentState,
    GateAnswer,
    _guardians_with_pr,
    child_consent_history,
    consent_check,
    consent_matrix,
    state_from_records,
)
from consent.media import takedown_uses_removed
from consent.models import (
    ConsentRecord,
    ConsentRequest,
    ConsentType,
    ConsentTypeVersion,
    Decision,
    GuardianAccess,
    Method,
    ReceiptCounter,
    RequestStatus,
    TakedownTask,
)
from consent.wording import (  # noqa: F401 - callers ask services for these too
    DEFAULT_TYPES,
    consent_types_ensure,
    current_wording,
    shown_name,
)
from notices import engine as reminders
from outbox.services import email_queue, mark_resent, messages_for
from policies import reach
from policies.models import PolicyVersion

REQUEST_VALID_DAYS = 14


VERBAL_VALID_DAYS = 7


TAKEDOWN_DAYS = 7


def _sha256(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _token() -> tuple[str, str]:
    """A 256-bit random token and the SHA-256 that is all we keep of it."""
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _queue_request_email(consent_request: ConsentRequest, by: User | None) -> None:
    """The email is written by consent.emails when it is sent, with a link of its
    own: no token ever sits in the broker or the database."""
    from consent.emails import KIND

    email_queue(
        to=consent_request.guardian.email,
        purpose=consent_request,
        kind=KIND,
        requested_by=by,
    )


@transaction.atomic
def consent_request_send(
    *,
    child: Child,
    guardians: list[Guardian],
    consent_types: list[ConsentType],
    by: User | None,
) -> list[ConsentRequest]:
    """Email each guardian a link of their own. ``by`` None: sent by Safeguard itself."""
    with_pr = _guardians_with_pr(child)
    if not consent_types:
        raise ValidationError({"consent_types": "Choose at least one kind of consent to ask for."})
    # Whatever order the policies and the consent types were made in, the parent
    # agrees to every parent-facing policy current now.
    parent_facing = [binding.current for binding in reach.parent_bindings(child.organisation)]
    sent = []
    for guardian in guardians:
        if guardian.pk not in with_pr:
            raise ValidationError(
                {"guardians": "Only someone with parental responsibility can consent."}
            )
        if not guardian.email:
            raise ValidationError({"guardians": f"{guardian.full_name} has no email address."})
        # A placeholder until the email is written with the real link's hash.
        _, digest = _token()
        consent_request = ConsentRequest.objects.create(
            organisation=child.organisation,
            child=child,
            guardian=guardian,
            token_sha256=digest,
            sent_by=by,
            expires_at=timezone.now() + dt.timedelta(days=REQUEST_VALID_DAYS),
        )
        consent_request.items.set([current_wording(t) for t in consent_types])
        consent_request.policy_versions.set(parent_facing)
        audit.record(
            action="consent.requested",
            actor=by,
            obj=child,
            organisation=child.organisation,
            details={"guardian": guardian.pk, "types": [t.code for t in consent_types]},
        )
        _queue_request_email(consent_request, by)
        sent.append(consent_request)
    return sent


@transaction.atomic
def consent_request_resend(*, consent_request: ConsentRequest, by: User) -> ConsentRequest:
    """A new link for the same questions; the old link stops working."""
    old = ConsentRequest.objects.select_for_update(no_key=True).get(pk=consent_request.pk)
    if old.status in {RequestStatus.SIGNED, RequestStatus.CANCELLED, RequestStatus.SUPERSEDED}:
        raise ValidationError("This request can no longer be resent.")
    old.status = RequestStatus.SUPERSEDED
    old.save(update_fields=["status"])
    _, digest = _token()  # replaced by the link's own when the email is written
    new = ConsentRequest.objects.create(
        organisation=old.organisation,
        child=old.child,
        guardian=old.guardian,
        token_sha256=digest,
        sent_by=by,
        expires_at=timezone.now() + dt.timedelta(days=REQUEST_VALID_DAYS),
    )
    new.items.set(old.items.all())
    new.policy_versions.set(
        [binding.current for binding in reach.parent_bindings(old.organisation_id)]
    )
    audit.record(
        action="consent.request_resent",
        actor=by,
        obj=old.child,
        details={"old": old.pk, "new": new.pk},
    )
    _queue_request_email(new, by)
    # The old request's failed emails are answered by this one: no more reminders.
    new_message = messages_for(new).get()
    mark_resent(purpose=old, new=new_message)
    return new


@transaction.atomic
def consent_request_cancel(*, consent_request: ConsentRequest, by: User) -> None:
    locked = ConsentRequest.objects.select_for_update(no_key=True).get(pk=consent_request.pk)
    if locked.status not in {RequestStatus.SENT, RequestStatus.OPENED}:
        raise ValidationError("Only a request still waiting for an answer can be cancelled.")
    locked.status = RequestStatus.CANCELLED
    locked.save(update_fields=["status"])
    audit.record(action="consent.request_cancelled", actor=by, obj=locked.child)


def request_for_token(token: str) -> ConsentRequest | None:
    if not token or len(token) > 100:
        return None
    return request_for_hash(token_hash(token))


def request_for_hash(digest: str) -> ConsentRequest | None:
    """The live request behind a link, or None: used, expired, unknown, or the
    guardian no longer has parental responsibility, or the child has left."""
    consent_request = (
        ConsentRequest.objects.filter(token_sha256=digest)
        .select_related("child", "guardian", "organisation")
        .first()
    )
    if consent_request is None or consent_request.status not in {"sent", "opened"}:
        return None
    if consent_request.is_expired or not _may_consent(consent_request):
        return None
    return consent_request


def _may_consent(consent_request: ConsentRequest) -> bool:
    child = consent_request.child
    if not child.is_active_on(timezone.localdate()):
        return False
    return consent_request.guardian_id in _guardians_with_pr(child)


def request_opened(consent_request: ConsentRequest) -> None:
    ConsentRequest.objects.filter(pk=consent_request.pk, status="sent").update(
        status="opened", opened_at=timezone.now()
    )


def shown_content(
    consent_request: ConsentRequest,
    version: ConsentTypeVersion,
    language: str = i18n.ENGLISH,
) -> dict[str, object]:
    """Exactly what the parent is shown about one item: hashed into the evidence.

    A page shown in Welsh adds its language and the name and explanation in the
    words it actually showed (the organisation's Welsh, or the English where it
    wrote none). An English page adds nothing, so records signed before Welsh
    existed still rehash. The policy's SHA-256 already covers its Welsh text."""
    policy = version.policy_version
    content: dict[str, object] = {
        "organisation": consent_request.organisation.name,
        "child": consent_request.child.display_name,
        "consent": version.consent_type.name,
        "wording_version": version.number,
        "explanation": version.explanation,
        "policy": f"{policy.policy.title} {policy.label}" if policy else None,
        "policy_sha256": policy.content_sha256 if policy else None,
        "validity_months": version.consent_type.validity_months,
    }
    if i18n.is_welsh(language):
        content["language"] = i18n.WELSH
        content["consent_shown"] = shown_name(version, i18n.WELSH)
        content["explanation_shown"] = i18n.in_language(version, "explanation", i18n.WELSH)
    return content


@dataclass(frozen=True)
class SignedConsent:
    records: list[ConsentRecord]
    receipt_sha256: str
    manage_token: str
    policies: list[PolicyVersion]


def receipt_content(
    records: list[ConsentRecord], *, policies: Sequence[PolicyVersion] = ()
) -> dict[str, object]:
    """Everything the receipt states; its SHA-256 is the receipt's own hash.
    The policies the parent agreed to count only when there were some, so a
    receipt signed before parents were asked to agree to them still rehashes."""
    first = records[0]
    content: dict[str, object] = {
        "child": first.child.display_name,
        "organisation": first.organisation.name,
        "signed_by": first.typed_name,
        "relationship": first.relationship,
        "recorded_at": first.recorded_at.astimezone(dt.UTC).isoformat(),
        "ip_address": first.ip_address,
        "request": first.request_sha256,
        # The image itself is covered by the hash, not merely whether there was one.
        "signature_sha256": (
            hashlib.sha256(first.signature_png.encode()).hexdigest()
            if first.signature_png
            else None
        ),
        "answers": [
            {
                "consent": record.consent_type.name,
                "decision": record.decision,
                "valid_until": record.valid_until.isoformat() if record.valid_until else None,
                "shown_sha256": record.shown_sha256,
            }
            for record in records
        ],
    }
    # Added only where there is one, so earlier receipts rehash as they were.
    if first.reference:
        content["reference"] = first.reference
    if i18n.is_welsh(first.language):
        content["language"] = i18n.WELSH
    if policies:
        content["policies"] = [
            {
                "policy": version.policy.title,
                "version": version.label,
                "sha256": version.content_sha256,
            }
            for version in policies
        ]
    return content


def _valid_until(consent_type: ConsentType, child: Child, on: dt.date) -> dt.date | None:
    if consent_type.validity_months:
        return on + relativedelta(months=consent_type.validity_months)
    return child.discharged_on


@transaction.atomic
def consent_sign(
    *,
    token_digest: str,
    answers: dict[int, str],
    typed_name: str,
    relationship: str,
    signature_png: str,
    language: str = i18n.ENGLISH,
) -> SignedConsent:
    """Record every answer of one request, in one transaction, once.

    ``language`` is the page's: what the parent read, and what the receipt and
    its email are written in."""
    consent_request = (
        ConsentRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("child", "guardian", "organisation")
        .filter(token_sha256=token_digest)
        .first()
    )
    if consent_request is None or consent_request.status not in {"sent", "opened"}:
        raise ValidationError(gettext("This link has already been used."))
    if consent_request.is_expired:
        raise ValidationError(gettext("This link has expired."))
    if not _may_consent(consent_request):
        raise ValidationError(gettext("This link no longer works. Please ask for a new one."))
    items = list(consent_request.items.select_related("consent_type", "policy_version__policy"))
    if {v.pk for v in items} != set(answers):
        raise ValidationError(gettext("Answer every question."))
    policies = parent_policies.versions_to_confirm(consent_request, items)
    now = timezone.now()
    today = timezone.localdate()
    language = i18n.WELSH if i18n.is_welsh(language) else i18n.ENGLISH
    # One short reference for everything signed together; taken under the
    # request's lock, so a second press of "Confirm" never uses a number.
    reference = next_reference(
        ReceiptCounter, organisation=consent_request.organisation, year=today.year, prefix="CR"
    )
    # The parent's own browser: what the consent evidence says it was signed from.
    client = audit_context.current()
    records = [
        ConsentRecord(
            organisation=consent_request.organisation,
            child=consent_request.child,
            consent_type=version.consent_type,
            type_version=version,
            guardian=consent_request.guardian,
            decision=answers[version.pk],
            method=Method.ONLINE,
            valid_until=(
                _valid_until(version.consent_type, consent_request.child, today)
                if answers[version.pk] == Decision.GRANTED
                else None
            ),
            typed_name=typed_name,
            relationship=relationship,
            signature_png=signature_png,
            recorded_at=now,
            ip_address=client.ip_address,
            user_agent=client.user_agent,
            shown_sha256=_sha256(shown_content(consent_request, version, language)),
            language=language,
            reference=reference,
            policy_version=version.policy_version,
            request_sha256=consent_request.reference_sha256,
        )
        for version in items
    ]
    receipt_sha256 = _sha256(receipt_content(records, policies=policies))
    for record in records:
        record.receipt_sha256 = receipt_sha256
        record.save()
    # Reading each policy was confirmed on the form: one acknowledgement model
    # for staff and parents.
    parent_policies.acknowledge_on_signing(
        guardian=consent_request.guardian, versions=policies, request_pk=consent_request.pk
    )
    consent_request.status = RequestStatus.SIGNED
    consent_request.signed_at = now
    consent_request.save(update_fields=["status", "signed_at"])
    # What was agreed to, not what was current when it was sent: the receipt's
    # hash covers these, and a subject access copy of the receipt reads them back.
    consent_request.policy_versions.set(policies)
    access_token, access_digest = _token()
    GuardianAccess.objects.create(guardian=consent_request.guardian, token_sha256=access_digest)
    audit.record(
        action="consent.signed",
        organisation=consent_request.organisation,
        actor_label=f"guardian:{consent_request.guardian.pk}",
        obj=consent_request.child,
        details={
            "request": consent_request.pk,
            "receipt": receipt_sha256,
            "reference": reference,
            "policies": [version.pk for version in policies],
        },
    )
    transaction.on_commit(lambda: send_receipt(records, receipt_sha256, access_token, policies))
    return SignedConsent(records, receipt_sha256, access_token, policies)


def access_for_token(token: str, *, expired_too: bool = False) -> GuardianAccess | None:
    if not token or len(token) > 100:
        return None
    return access_for_hash(token_hash(token), expired_too=expired_too)


def access_for_hash(digest: str, *, expired_too: bool = False) -> GuardianAccess | None:
    """The live manage link behind a token hash; with ``expired_too`` also one
    that has expired from disuse (to say so), never one that was revoked."""
    access = (
        GuardianAccess.objects.filter(token_sha256=digest, revoked_at__isnull=True)
        .select_related("guardian")
        .first()
    )
    if access is None or (access.is_expired and not expired_too):
        return None
    return access


def guardian_consents(
    guardian: Guardian,
) -> list[tuple[Child, list[tuple[ConsentType, ConsentRecord]]]]:
    """For each child of this guardian, the consents this guardian has granted and not withdrawn."""
    result = []
    links = ChildGuardian.objects.filter(guardian=guardian, parental_responsibility=True)
    for link in links.select_related("child"):
        records = list(
            ConsentRecord.objects.filter(child=link.child, guardian=guardian)
            .select_related("consent_type")
            .order_by("recorded_at", "pk")
        )
        latest: dict[int, ConsentRecord] = {}
        for record in records:
            latest[record.consent_type_id] = record
        granted = [
            (record.consent_type, record)
            for record in latest.values()
            if record.decision == Decision.GRANTED
        ]
        result.append((link.child, granted))
    return result


@transaction.atomic
def consent_withdraw(
    *, access: GuardianAccess, child: Child, consent_type: ConsentType, language: str = "en-gb"
) -> ConsentRecord:
    """Withdrawn at once; allocated staff told urgently; images taken down; the
    parent emailed a confirmation in ``language`` (the page's)."""
    guardian = access.guardian
    # Lock the guardian's link to the child: a double tap waits here, then finds
    # the consent already withdrawn.
    if (
        not ChildGuardian.objects.select_for_update(no_key=True)
        .filter(child=child, guardian=guardian, parental_responsibility=True)
        .exists()
    ):
        raise ValidationError(gettext("You cannot change consent for this child."))
    last = (
        ConsentRecord.objects.filter(child=child, guardian=guardian, consent_type=consent_type)
        .order_by("recorded_at", "pk")
        .last()
    )
    if last is None or last.decision != Decision.GRANTED:
        raise ValidationError(gettext("There is no consent to withdraw."))
    record = ConsentRecord(
        organisation=child.organisation,
        child=child,
        consent_type=consent_type,
        type_version=last.type_version,
        guardian=guardian,
        decision=Decision.WITHDRAWN,
        method=Method.ONLINE,
        typed_name=guardian.full_name,
        relationship=last.relationship,
        ip_address=audit_context.current().ip_address,
        user_agent=audit_context.current().user_agent,
        shown_sha256=last.shown_sha256,
        policy_version=last.policy_version,
        language=language,
    )
    record.save()
    regrant.withdrawal_email_queue(record)
    # A withdrawal is a use of the link: its idle clock starts again.
    GuardianAccess.objects.filter(pk=access.pk).update(last_used_at=timezone.now())
    audit.record(
        action="consent.withdrawn",
        organisation=child.organisation,
        actor_label=f"guardian:{guardian.pk}",
        obj=child,
        details={"consent": consent_type.code},
    )
    staff = allocated_staff(child)
    leads = list(User.objects.of(child.organisation).leads())
    if consent_type.media:
        TakedownTask.objects.create(
            organisation=child.organisation,
            child=child,
            record=record,
            what=f"{consent_type.name} of {child.display_name}",
            where=consent_type.get_media_display(),
            assigned_to=staff[0] if staff else (leads[0] if leads else None),
            due_on=timezone.localdate() + dt.timedelta(days=TAKEDOWN_DAYS),
        )
    reminders.notify_now(
        organisation=child.organisation,
        item=reminders.DueItem(
            kind="consent.withdrawn",
            obj=record,
            stage="withdrawn",
            recipients=[*staff, *leads],
            due_at=timezone.now(),
            title=f"Consent withdrawn: {consent_type.name} for {child.display_name}",
            url=reverse("child_detail", args=[child.pk]),
            urgent=True,
        ),
    )
    return record


@transaction.atomic
def takedown_done(*, task: TakedownTask, by: User) -> None:
    locked = TakedownTask.objects.select_for_update(no_key=True).get(pk=task.pk)
    if locked.done_at:
        raise ValidationError("This takedown is already marked done.")
    locked.done_at = timezone.now()
    locked.done_by = by
    locked.save(update_fields=["done_at", "done_by"])
    # Closing the takedown says everything it listed has come down.
    removed = takedown_uses_removed(task=locked, by=by)
    audit.record(
        action="consent.takedown_done",
        actor=by,
        obj=locked.child,
        details={"task": locked.pk, "uses_removed": removed},
    )
