"""Logging a session or contact with a child, or with a parent about the child.
It is always saved: each rule it broke (practice.contact_rules, consent first)
is named on the record, a reason is asked for, and the DSL is told at once."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from children.models import Child, Guardian
from consent.models import Channel
from notices import engine as reminders
from practice.contact_rules import (
    FROM_A_PHONE,
    LIVE,
    MESSAGES,
    THROUGH_A_PLATFORM,
    Situation,
    judge,
    local,
)
from practice.models import ContactLog, FollowUp, PlannedSession, Platform, With, WorkDevice

# A camera refusal is talked through with the parent before the next session.
FOLLOW_UP_DAYS = 7


def plan_for(*, child: Child, staff: User, channel: str, at: dt.datetime) -> PlannedSession | None:
    """The planned session a contact belongs to: the same child, member of staff
    and kind of contact, on the same day, not cancelled."""
    day = local(at, child).date()
    candidates = PlannedSession.objects.filter(
        child=child, staff=staff, channel=channel, cancelled_at__isnull=True
    ).filter(planned_for__date__range=(day - dt.timedelta(days=1), day + dt.timedelta(days=1)))
    same_day = [plan for plan in candidates if local(plan.planned_for, child).date() == day]
    return min(same_day, key=lambda plan: abs(plan.planned_for - at), default=None)


@transaction.atomic
def contact_log(
    *,
    child: Child,
    staff: User,
    channel: str,
    happened_at: dt.datetime,
    with_whom: str = With.CHILD,
    guardian: Guardian | None = None,
    plan: PlannedSession | None = None,
    purpose: str = "",
    approved_platform: Platform | None = None,
    platform: str = "",
    device: WorkDevice | None = None,
    copied_staff: list[User] | None = None,
    copied_guardians: list[Guardian] | None = None,
    message_text: str = "",
    message_file: UploadedFile | None = None,
    parent_present: Guardian | None = None,
    parent_contacted_start: bool = False,
    parent_contacted_end: bool = False,
    second_staff: User | None = None,
    single_use_link: bool = False,
    passcode: bool = False,
    waiting_room: bool = False,
    camera_verified: bool = False,
    camera_refused: bool = False,
    permission_from: Guardian | None = None,
    permission_at: dt.datetime | None = None,
    permission_for: str = "",
    participant_removed: bool = False,
    removal_reason: str = "",
    unsolicited: bool = False,
    notes: str = "",
    override_reason: str = "",
) -> ContactLog:
    """Record what happened. Raises ValidationError only for input that cannot
    be true, or to ask why a contact that broke a rule went ahead; what it broke
    never stops the record."""
    copied_staff = list(copied_staff or [])
    copied_guardians = list(copied_guardians or [])
    # Answers to questions that do not apply to this kind of contact (left behind
    # when the kind was changed on the form) are not recorded as having happened.
    if channel != Channel.VIDEO:
        parent_contacted_start = parent_contacted_end = single_use_link = False
        passcode = waiting_room = camera_verified = camera_refused = False
    if channel not in MESSAGES:
        copied_staff, copied_guardians = [], []
        permission_from, permission_at, permission_for = None, None, ""
    if channel not in LIVE or with_whom == With.PARENT:
        parent_present = None
    if channel not in THROUGH_A_PLATFORM:
        approved_platform = None
    if channel not in FROM_A_PHONE | {Channel.CHAT}:
        device = None
    if with_whom == With.CHILD:
        guardian = None
    if plan is not None:
        if plan.child_id != child.pk or plan.staff_id != staff.pk:
            raise ValidationError(
                {"plan": "Choose one of your own planned sessions with this child."}
            )
        day = local(happened_at, child).date()
        if (
            plan.cancelled_at is not None
            or plan.channel != channel
            or local(plan.planned_for, child).date() != day
        ):
            raise ValidationError(
                {
                    "plan": "That planned session was cancelled, or was another kind of contact "
                    "or on another day. Choose the one this contact belongs to, or let it be "
                    "found for you: a contact outside any planned session is recorded as such."
                }
            )
    plan = plan or plan_for(child=child, staff=staff, channel=channel, at=happened_at)
    situation = Situation(
        child=child,
        staff=staff,
        channel=channel,
        when=happened_at,
        with_whom=with_whom,
        guardian=guardian,
        purpose=purpose,
        approved_platform=approved_platform,
        device=device,
        second_staff=second_staff,
        parent_present=parent_present,
        permission_from=permission_from,
        permission_at=permission_at,
        permission_for=permission_for,
        copied=bool(copied_staff or copied_guardians),
        parent_contacted_start=parent_contacted_start,
        parent_contacted_end=parent_contacted_end,
        single_use_link=single_use_link,
        passcode=passcode,
        waiting_room=waiting_room,
        camera_verified=camera_verified,
        camera_refused=camera_refused,
        unsolicited=unsolicited,
        in_a_planned_session=plan is not None,
    )
    judgement = judge(situation, planning=False)
    errors = dict(judgement.errors)
    organisation_id = staff.organisation_id
    if any(person.organisation_id != organisation_id for person in copied_staff):
        errors["copied_staff"] = "Choose colleagues from your own organisation."
    with_pr = {
        g.pk
        for g in Guardian.objects.filter(
            child_links__child=child, child_links__parental_responsibility=True
        )
    }
    if any(person.pk not in with_pr for person in copied_guardians):
        errors["copied_guardians"] = (
            f"Choose {child.display_name}'s parents or carers with parental responsibility."
        )
    if participant_removed and not removal_reason.strip():
        errors["removal_reason"] = "Say why the participant was removed."
    # The child made contact: what it broke is recorded, and nobody has to justify it.
    if judgement.breaches and not unsolicited and not override_reason.strip():
        errors["override_reason"] = (
            "This contact broke "
            + ("a rule" if len(judgement.breaches) == 1 else f"{len(judgement.breaches)} rules")
            + ": "
            + " ".join(breach.message for breach in judgement.breaches)
            + f" It will be saved with each one named and the {child.organisation.titles.short} "
            "told: say why it went ahead."
        )
    if errors:
        raise ValidationError(errors)
    consent = judgement.consent
    if with_whom == With.PARENT:
        consent_allowed, consent_reason = True, "Contact with a parent or carer."
    else:
        consent_allowed = consent is not None and consent.allowed
        consent_reason = consent.reason if consent else "No consent type for this contact."
    contact = ContactLog.objects.create(
        organisation=child.organisation,
        child=child,
        staff=staff,
        happened_at=happened_at,
        channel=channel,
        with_whom=with_whom,
        guardian=guardian,
        plan=plan,
        platform=approved_platform.name if approved_platform else platform,
        approved_platform=approved_platform,
        device=device,
        purpose=purpose,
        message_text=message_text,
        parent_present=parent_present,
        parent_present_start=parent_present is not None,
        parent_present_end=parent_present is not None,
        parent_contacted_start=parent_contacted_start,
        parent_contacted_end=parent_contacted_end,
        second_staff=second_staff,
        second_staff_present=second_staff is not None,
        single_use_link=single_use_link,
        passcode=passcode,
        waiting_room=waiting_room,
        camera_verified=camera_verified,
        camera_refused=camera_refused,
        permission_from=permission_from,
        permission_at=permission_at,
        permission_for=permission_for,
        participant_removed=participant_removed,
        removal_reason=removal_reason,
        unsolicited=unsolicited,
        out_of_hours=judgement.out_of_hours,
        notes=notes,
        consent_type=judgement.consent_type,
        consent_allowed=consent_allowed,
        consent_reason=consent_reason[:300],
        override_reason=override_reason,
        breaches=[breach.as_record() for breach in judgement.breaches],
    )
    if message_file is not None:
        contact.message_file.save(message_file.name or "message", message_file, save=False)
        contact.save(update_fields=["message_file"])
    contact.copied_staff.set(copied_staff)
    contact.copied_guardians.set(copied_guardians)
    events = [breach.message for breach in judgement.breaches]
    if unsolicited:
        events.append("An unsolicited contact from the child.")
    if camera_refused:
        events.append("The child would not switch the camera on.")
        FollowUp.objects.create(
            organisation=child.organisation,
            contact=contact,
            owner=staff,
            what=f"Talk with {child.display_name}'s parent or carer about the camera before "
            "the next session",
            due_on=timezone.localdate() + dt.timedelta(days=FOLLOW_UP_DAYS),
        )
    if participant_removed:
        events.append("A participant was removed from the session.")
        contact.incident_reference = _draft_incident(contact, staff, removal_reason)
        contact.save(update_fields=["incident_reference"])
    audit.record(
        action="contact.logged",
        actor=staff,
        obj=child,
        details={
            "contact": contact.pk,
            "with": with_whom,
            "allowed": consent_allowed,
            "breaches": judgement.codes,
        },
    )
    if events:
        leads = list(User.objects.of(child.organisation).leads())
        reminders.notify_now(
            organisation=child.organisation,
            item=reminders.DueItem(
                kind=(
                    "contact.without_consent"
                    if "no_consent" in judgement.codes
                    else "contact.breach"
                    if judgement.breaches
                    else "contact.flagged"
                ),
                obj=contact,
                stage="logged",
                recipients=leads,
                due_at=timezone.now(),
                title=f"A contact with {child.display_name} was logged: " + " ".join(events),
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


@transaction.atomic
def follow_up_done(*, follow_up: FollowUp, by: User, outcome: str) -> FollowUp:
    """Close a follow-up with what came of it; done once, by whoever did it."""
    follow_up = FollowUp.objects.select_for_update(no_key=True).get(pk=follow_up.pk)
    if follow_up.done_at is not None:
        raise ValidationError("This follow-up was marked done already.")
    if not outcome.strip():
        raise ValidationError({"outcome": "Say what was done and what was agreed."})
    follow_up.done_at = timezone.now()
    follow_up.done_by = by
    follow_up.outcome = outcome.strip()
    follow_up._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    follow_up.save()
    audit.record(
        action="contact.follow_up_done",
        actor=by,
        obj=follow_up.contact.child,
        details={"follow_up": follow_up.pk, "contact": follow_up.contact_id},
    )
    return follow_up


def child_contact_history(*, child: Child) -> list[ContactLog]:
    """Every logged contact for a child, oldest first, for the child's chronology."""
    return list(
        ContactLog.objects.filter(child=child)
        .select_related("staff", "consent_type", "guardian", "parent_present")
        .order_by("happened_at", "pk")
    )
