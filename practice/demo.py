"""Demonstration online-practice registers for the demo organisation (invented):
an approved, assessed video platform and a messaging app not yet approved; the
therapist's attested work phone; a social media account with only one holder
(so the dashboard has something to flag); the recurring tasks, the policy's
own among them; and one video session with Maya held without the second member
of staff, logged with the breach and the reason it went ahead (for the dashboard
and the chronology)."""

import datetime as dt
import zoneinfo

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child
from consent.models import Channel
from practice import services
from practice.contact_log import contact_log
from practice.models import ContactLog, PlannedSession, Platform, RecurringTask
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
    seed_policy_tasks(organisation, dsl=dsl, admin=admin, therapist=therapist)
    seed_breached_contact(organisation, therapist, video)


# The tasks the online-safety policy asks for beyond the two every organisation
# has: (title, months, owner's role, what it is, what shows it was done).
POLICY_TASKS = (
    (
        "Monitoring of adult-only groups",
        1,
        "dsl",
        "The policy keeps children out of the organisation's groups for adults; someone "
        "checks each month that no child has joined and nothing shared there could reach one.",
        "The month's membership check and a note of anything removed, initialled by the monitor.",
    ),
    (
        "Online safety workshop or newsletter for parents and carers",
        6,
        "admin",
        "Twice a year parents and carers hear what the service does to keep children safe "
        "online and what they can do at home.",
        "The newsletter sent, or the workshop's invitation and a count of who came.",
    ),
    (
        "Teaching online safety in sessions",
        4,
        "therapist",
        "Each term, sessions include online safety at a level right for each child, as the "
        "policy's section on education asks.",
        "A note of the sessions and the material used, without children's names.",
    ),
)


def seed_policy_tasks(
    organisation: Organisation, *, dsl: User, admin: User, therapist: User
) -> None:
    owners = {"dsl": dsl, "admin": admin, "therapist": therapist}
    today = timezone.localdate()
    for title, months, owner, description, evidence in POLICY_TASKS:
        if RecurringTask.objects.filter(organisation=organisation, title=title).exists():
            continue
        services.task_create(
            organisation=organisation,
            by=admin,
            title=title,
            description=description,
            evidence_expected=evidence,
            owner=owners[owner],
            cycle_months=months,
            # A cycle from about three weeks ago: the monthly one is due within days.
            next_due=today + relativedelta(months=months) - dt.timedelta(days=24),
        )


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
