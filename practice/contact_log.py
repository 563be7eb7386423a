"""Logging a session or contact with a child: always checked against consent
(consent.gate) and the organisation's practice rules (practice.contact_rules)."""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from children.models import Child
from consent.gate import CHANNEL_CONSENT, consent_check
from consent.models import ConsentType
from notices import engine as reminders
from practice.models import ContactLog, Platform, WorkDevice

# --- contacts and the gate -------------------------------------------------------------------


@transaction.atomic
def contact_log(
    *,
    child: Child,
    staff: User,
    channel: str,
    happened_at: dt.datetime,
    platform: str = "",
    parent_present_start: bool = False,
    parent_present_end: bool = False,
    second_staff_present: bool = False,
    notes: str = "",
    override_reason: str = "",
    purpose: str = "",
    approved_platform: Platform | None = None,
    device: WorkDevice | None = None,
    copied_to: str = "",
    parent_contacted_start: bool = False,
    parent_contacted_end: bool = False,
    second_staff: User | None = None,
    single_use_link: bool = False,
    camera_verified: bool = False,
    participant_removed: bool = False,
    removal_reason: str = "",
    unsolicited: bool = False,
) -> ContactLog:
    """Save a contact only if the organisation's practice rules allow it and
    consent was live (or with a reason the DSL will see). Out-of-hours and
    unsolicited contact, a removed participant and a contact without consent are
    saved and flagged to the DSL; a removed participant also opens a draft
    incident."""
    from practice import contact_rules

    verdict = contact_rules.check(
        staff=staff,
        channel=channel,
        happened_at=happened_at,
        purpose=purpose,
        approved_platform=approved_platform,
        device=device,
        copied_to=copied_to,
        parent_contacted_start=parent_contacted_start,
        parent_contacted_end=parent_contacted_end,
        parent_present=parent_present_start,
        second_staff=second_staff,
        single_use_link=single_use_link,
        camera_verified=camera_verified,
        participant_removed=participant_removed,
        removal_reason=removal_reason,
        unsolicited=unsolicited,
    )
    consent_type = ConsentType.objects.filter(
        organisation=child.organisation, code=CHANNEL_CONSENT[channel]
    ).first()
    if consent_type is None:
        raise ValidationError(
            {"channel": "This organisation has no consent type for that contact."}
        )
    local_day = happened_at.astimezone(zoneinfo.ZoneInfo(child.organisation.timezone)).date()
    answer = consent_check(child=child, consent_type=consent_type, on=local_day, at=happened_at)
    if not answer.allowed and not override_reason.strip() and not unsolicited:
        raise ValidationError(
            {
                "override_reason": f"Not allowed: {answer.reason} Say why the contact was "
                "necessary, or do not record it as allowed."
            }
        )
    contact = ContactLog.objects.create(
        organisation=child.organisation,
        child=child,
        staff=staff,
        happened_at=happened_at,
        channel=channel,
        platform=approved_platform.name if approved_platform else platform,
        parent_present_start=parent_present_start,
        parent_present_end=parent_present_end,
        second_staff_present=second_staff_present or second_staff is not None,
        notes=notes,
        consent_type=consent_type,
        consent_allowed=answer.allowed,
        consent_reason=answer.reason[:300],
        override_reason=override_reason,
        purpose=purpose,
        approved_platform=approved_platform,
        device=device,
        copied_to=copied_to,
        parent_contacted_start=parent_contacted_start,
        parent_contacted_end=parent_contacted_end,
        second_staff=second_staff,
        single_use_link=single_use_link,
        camera_verified=camera_verified,
        participant_removed=participant_removed,
        removal_reason=removal_reason,
        unsolicited=unsolicited,
        out_of_hours=verdict.out_of_hours,
    )
    flags = list(verdict.flags)
    if not answer.allowed:
        flags.insert(0, "without consent")
    if participant_removed:
        contact.incident_reference = _draft_incident(contact, staff, removal_reason)
        contact.save(update_fields=["incident_reference"])
    audit.record(
        action="contact.logged",
        actor=staff,
        obj=child,
        details={"contact": contact.pk, "allowed": answer.allowed, "flags": flags},
    )
    if flags:
        leads = list(User.objects.of(child.organisation).leads())
        reminders.notify_now(
            organisation=child.organisation,
            item=reminders.DueItem(
                kind="contact.without_consent" if not answer.allowed else "contact.flagged",
                obj=contact,
                stage="logged",
                recipients=leads,
                due_at=timezone.now(),
                title=f"A contact with {child.display_name} was logged " + "; ".join(flags),
                url=reverse("child_detail", args=[child.pk]),
            ),
        )
    return contact


def _draft_incident(contact: ContactLog, staff: User, reason: str) -> str:
    """Removing someone from a session with a child is a concern in itself: it
    opens an incident for the DSL with what the member of staff said."""
    from incidents import services as incident_services

    incident = incident_services.incident_raise(
        reporter=staff,
        children=[contact.child],
        occurred_at=contact.happened_at,
        disclosed_at=contact.happened_at,
        category="contact",
        incident_type="other",
        platform=contact.platform,
        initial_risk="medium",
        what_happened=f"A participant was removed from a {contact.get_channel_display().lower()}"
        f" session. Reason given: {reason}",
    )
    return incident.reference


def child_contact_history(*, child: Child) -> list[ContactLog]:
    """Every logged contact for a child, oldest first, for the child's chronology."""
    return list(
        ContactLog.objects.filter(child=child)
        .select_related("staff", "consent_type")
        .order_by("happened_at", "pk")
    )
