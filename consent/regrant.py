"""A parent's own decisions on their manage link: every consent they decided,
withdrawn and refused ones too, a later Yes after a No or a withdrawal, and the
email that confirms a withdrawal.

Kept apart from services.py (signing a request, the gate): these are the
manage link's, and a Yes here is a new record beside the old ones, never a
change to them.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from audit import context as audit_context
from audit import services as audit
from children.models import Child, ChildGuardian, Guardian
from children.services import allocated_staff
from common.i18n import ENGLISH, WELSH, is_welsh
from common.registry import EMAIL_COMPOSERS
from consent.models import (
    ConsentRecord,
    ConsentRequest,
    ConsentType,
    ConsentTypeVersion,
    Decision,
    GuardianAccess,
    Method,
)
from consent.wording import shown_name
from notices import engine as reminders
from outbox.composers import Composed, Composer
from outbox.services import email_queue

WITHDRAWAL_EMAIL_KIND = "consent.withdrawal_confirmed"


@dataclass(frozen=True)
class Decided:
    """The latest decision of one guardian on one consent for one child."""

    consent_type: ConsentType
    record: ConsentRecord

    @property
    def granted(self) -> bool:
        return self.record.decision == Decision.GRANTED

    @property
    def decided_by(self) -> str:
        """The guardian who decided online, or the member of staff who recorded
        a paper or verbal answer (their name is what the parent can check)."""
        if self.record.method != Method.ONLINE and self.record.recorded_by is not None:
            return self.record.recorded_by.full_name
        return self.record.typed_name

    @property
    def recorded_by_staff(self) -> bool:
        return self.record.method != Method.ONLINE and self.record.recorded_by is not None


def guardian_decisions(guardian: Guardian) -> list[tuple[Child, list[Decided]]]:
    """For each child this guardian has parental responsibility for, their latest
    decision on each consent: given, refused or withdrawn, in name order."""
    result = []
    links = ChildGuardian.objects.filter(guardian=guardian, parental_responsibility=True)
    for link in links.select_related("child").order_by("child__first_name", "child_id"):
        latest: dict[int, ConsentRecord] = {}
        records = (
            ConsentRecord.objects.filter(child=link.child, guardian=guardian)
            .select_related("consent_type", "recorded_by")
            .order_by("recorded_at", "pk")
        )
        for record in records:
            latest[record.consent_type_id] = record
        decided = [Decided(record.consent_type, record) for record in latest.values()]
        decided.sort(key=lambda d: (not d.granted, d.consent_type.name.lower()))
        result.append((link.child, decided))
    return result


def may_regrant(guardian: Guardian, child_pk: int, type_pk: int) -> Decided | None:
    """The refused or withdrawn consent a parent may now give, else None."""
    for child, decided in guardian_decisions(guardian):
        if child.pk != child_pk or not child.is_active:
            continue
        for item in decided:
            if item.consent_type.pk == type_pk and not item.granted and item.consent_type.active:
                return item
    return None


def regrant_shown(*, child: Child, version: ConsentTypeVersion, language: str) -> dict[str, object]:
    """Exactly what the regrant page shows, hashed as the signing page's is
    (services.shown_content, in the page's language), and where it was shown."""
    from consent import services

    # shown_content reads the organisation and the child from a request; a Yes
    # on the manage link has none, so an unsaved one carries them.
    content = services.shown_content(
        ConsentRequest(organisation=child.organisation, child=child), version, language
    )
    content["on"] = "manage link"
    return content


@transaction.atomic
def consent_regrant(
    *,
    access: GuardianAccess,
    child: Child,
    consent_type: ConsentType,
    version: ConsentTypeVersion,
    typed_name: str,
    language: str,
) -> ConsentRecord:
    """A Yes after a No or a withdrawal: a new granted record; the old ones stay."""
    from consent import services

    guardian = access.guardian
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
    if last is None or last.decision == Decision.GRANTED:
        raise ValidationError(gettext("This consent is already given."))
    if not consent_type.active or not child.is_active:
        raise ValidationError(gettext("This consent cannot be given here now."))
    if services.current_wording(consent_type).pk != version.pk:
        raise ValidationError(
            gettext("The wording changed while you were reading it. Please read it again.")
        )
    shown = regrant_shown(child=child, version=version, language=language)
    client = audit_context.current()
    record = ConsentRecord(
        organisation=child.organisation,
        child=child,
        consent_type=consent_type,
        type_version=version,
        guardian=guardian,
        decision=Decision.GRANTED,
        method=Method.ONLINE,
        valid_until=services._valid_until(consent_type, child, timezone.localdate()),
        typed_name=typed_name,
        relationship=last.relationship,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
        shown_sha256=services._sha256(shown),
        # The page's language, as a signed record keeps it (shown_content says
        # which words that showed: the Welsh, or the English where none is written).
        language=WELSH if is_welsh(language) else ENGLISH,
        policy_version=version.policy_version,
    )
    record.save()
    # Using the link restarts its idle clock, as a withdrawal does.
    GuardianAccess.objects.filter(pk=access.pk).update(last_used_at=timezone.now())
    audit.record(
        action="consent.granted_again",
        organisation=child.organisation,
        actor_label=f"guardian:{guardian.pk}",
        obj=child,
        details={"consent": consent_type.code, "after": last.decision, "record": record.pk},
    )
    staff = allocated_staff(child)
    leads = list(User.objects.of(child.organisation).leads())
    reminders.notify_now(
        organisation=child.organisation,
        item=reminders.DueItem(
            kind="consent.granted_again",
            obj=record,
            stage="granted",
            recipients=[*staff, *leads],
            due_at=timezone.now(),
            title=f"Consent given again: {consent_type.name} for {child.display_name}",
            url=reverse("child_detail", args=[child.pk]),
            # Staff may now do more, never less: no need to interrupt anyone.
            urgent=False,
        ),
    )
    return record


def withdrawal_email_queue(record: ConsentRecord) -> None:
    """Inside the withdrawal's transaction: the parent's confirmation, through
    the outbox (staff see whether it went), written when sent in the language
    the parent withdrew in (the record's)."""
    if record.guardian.email:
        email_queue(to=record.guardian.email, purpose=record, kind=WITHDRAWAL_EMAIL_KIND)


def _compose_withdrawal(record: ConsentRecord) -> Composed | None:
    """The subject names the organisation only: a subject line shows on a lock
    screen, and a child's name there tells anyone who glances."""
    if record.decision != Decision.WITHDRAWN or not record.guardian.email:
        return None
    with translation.override(record.language or "en-gb"):
        context = {
            "guardian": record.guardian,
            "child": record.child,
            "organisation": record.organisation,
            "consent": shown_name(record.type_version),
            "when": timezone.localtime(record.recorded_at),
            "media": bool(record.consent_type.media),
        }
        subject = gettext("Your withdrawal of consent at %(organisation)s") % {
            "organisation": record.organisation.name
        }
        return Composed(
            subject=subject, body=render_to_string("emails/consent_withdrawn.txt", context)
        )


def _sees_child(user: User, record: ConsentRecord) -> bool:
    from children.permissions import children_visible_to

    return (
        record.organisation_id == user.organisation_id
        and children_visible_to(user).filter(pk=record.child_id).exists()
    )


EMAIL_COMPOSERS.register(
    Composer(
        kind=WITHDRAWAL_EMAIL_KIND,
        label="withdrawal confirmation",
        compose=_compose_withdrawal,
        visible_to=_sees_child,
        may_resend=_sees_child,
        url=lambda record: reverse("child_detail", args=[record.child_id]),
    )
)
