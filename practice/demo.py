"""Demonstration online-practice registers for the demo organisation (invented):
an approved, assessed video platform and a messaging app not yet approved; the
therapist's attested work phone; a social media account with only one holder
(so the dashboard has something to flag); the recurring tasks; and one video
session with Maya held without the second member of staff, logged with the
breach and the reason it went ahead (for the dashboard and the chronology)."""

import datetime as dt
import zoneinfo

from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child
from consent.models import Channel
from practice import services
from practice.contact_log import contact_log
from practice.models import ContactLog, PlannedSession, Platform
from practice.planning import may_i


def seed_practice(organisation: Organisation, therapist: User, dsl: User, admin: User) -> None:
    if Platform.objects.filter(organisation=organisation).exists():
        return
    today = timezone.localdate()
    video = services.platform_add(
        organisation=organisation, name="Licensed video account", kind="video", by=admin
    )
    services.platform_assess(
        platform=video,
        by=dsl,
        assessed_on=today - dt.timedelta(days=60),
        summary="Waiting room on; links are single use; recording off; chat off for children.",
    )
    services.platform_approval_set(platform=video, approved=True, by=admin)
    services.platform_add(
        organisation=organisation,
        name="Secure messaging app",
        kind="chat",
        by=admin,
        notes="Being assessed; not for use with children yet.",
    )
    phone = services.device_register(
        staff=therapist, description="Work mobile (grey)", by=therapist
    )
    services.device_attest(
        device=phone, by=therapist, password_protected=True, kept_from_others=True
    )
    services.account_save(
        organisation=organisation,
        by=dsl,
        platform="Instagram",
        handle="@riverbank.therapies",
        privacy="Public page, comments off",
        holders=[admin],
        monitors=[admin, dsl],
        advice_on=today - dt.timedelta(days=100),
    )
    services.tasks_ensure(organisation=organisation)
    seed_breached_contact(organisation, therapist, video)


def seed_breached_contact(organisation: Organisation, therapist: User, video: Platform) -> None:
    """Last working day's session with Maya: planned a week before with a second
    member of staff who then was off sick, so it is logged without one. Every
    other safeguard was kept, so the one breach is the one the demo shows."""
    maya = Child.objects.filter(organisation=organisation, first_name="Maya").first()
    if maya is None or ContactLog.objects.filter(child=maya).exists():
        return
    link = maya.guardian_links.filter(parental_responsibility=True).select_related("guardian")
    mother = link.first()
    if mother is None:
        return
    day = timezone.localdate() - dt.timedelta(days=1)
    while day.weekday() >= 5:  # the demo's working week is Monday to Friday
        day -= dt.timedelta(days=1)
    at = dt.datetime.combine(day, dt.time(10, 30), tzinfo=zoneinfo.ZoneInfo(organisation.timezone))
    purpose = "Weekly music therapy session"
    # A plan in the past cannot be made through session_plan (it plans ahead),
    # so the demo writes the one the therapist made a week before, with the
    # answer "may I?" gives for it.
    answer = may_i(
        child=maya,
        staff=therapist,
        channel=Channel.VIDEO,
        planned_for=at,
        purpose=purpose,
        approved_platform=video,
        parent_present=mother.guardian,
    )
    plan = PlannedSession.objects.create(
        organisation=organisation,
        child=maya,
        staff=therapist,
        planned_for=at,
        channel=Channel.VIDEO,
        purpose=purpose,
        approved_platform=video,
        parent_present=mother.guardian,
        allowed=answer.allowed,
        reasons=[breach.as_record() for breach in answer.breaches],
        created_at=at - dt.timedelta(days=7),
    )
    contact_log(
        child=maya,
        staff=therapist,
        channel=Channel.VIDEO,
        happened_at=at,
        plan=plan,
        purpose=purpose,
        approved_platform=video,
        parent_present=mother.guardian,
        parent_contacted_start=True,
        parent_contacted_end=True,
        single_use_link=True,
        passcode=True,
        waiting_room=True,
        camera_verified=True,
        notes="Maya chose the songs and sang two verses on her own.",
        override_reason="The second therapist was off sick that morning. Maya's mother stayed "
        "in the room throughout, and the DSL agreed by phone that the session could go ahead "
        "rather than be cancelled at short notice.",
    )
