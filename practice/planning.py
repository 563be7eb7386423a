"""Planning a session or contact, and asking "may I?" before it.

The answer comes from the same rules the contact log applies afterwards
(practice.contact_rules), consent first, every reason at once. A plan is kept as
a record with the answer it got, yes or no: what was asked, and what the portal
said, is part of the story of the child's care.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from children.models import Child, Guardian
from practice.contact_rules import Judgement, Situation, judge
from practice.models import PlannedSession, Platform, With, WorkDevice


def may_i(
    *,
    child: Child,
    staff: User,
    channel: str,
    planned_for: dt.datetime,
    with_whom: str = With.CHILD,
    guardian: Guardian | None = None,
    purpose: str = "",
    approved_platform: Platform | None = None,
    device: WorkDevice | None = None,
    second_staff: User | None = None,
    parent_present: Guardian | None = None,
    permission_from: Guardian | None = None,
    permission_at: dt.datetime | None = None,
    permission_for: str = "",
) -> Judgement:
    """The answer for a session as planned, without recording anything."""
    return judge(
        Situation(
            child=child,
            staff=staff,
            channel=channel,
            when=planned_for,
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
        ),
        planning=True,
    )


@transaction.atomic
def session_plan(
    *,
    child: Child,
    staff: User,
    channel: str,
    planned_for: dt.datetime,
    with_whom: str = With.CHILD,
    guardian: Guardian | None = None,
    purpose: str = "",
    approved_platform: Platform | None = None,
    device: WorkDevice | None = None,
    second_staff: User | None = None,
    parent_present: Guardian | None = None,
    permission_from: Guardian | None = None,
    permission_at: dt.datetime | None = None,
    permission_for: str = "",
) -> tuple[PlannedSession, Judgement]:
    """Plan a session and record the answer "may I?" gave. A "no" is kept too:
    the plan exists, and its reasons say what must change before it goes ahead."""
    if planned_for < timezone.now() - dt.timedelta(minutes=5):
        raise ValidationError(
            {"planned_for": "A plan is for a time to come: log a past session instead."}
        )
    fields = {
        "channel": channel,
        "with_whom": with_whom,
        "guardian": guardian,
        "purpose": purpose,
        "approved_platform": approved_platform,
        "device": device,
        "second_staff": second_staff,
        "parent_present": parent_present,
        "permission_from": permission_from,
        "permission_at": permission_at,
        "permission_for": permission_for,
    }
    judgement = may_i(
        child=child,
        staff=staff,
        channel=channel,
        planned_for=planned_for,
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
    )
    if judgement.errors:
        raise ValidationError(judgement.errors)
    plan = PlannedSession(
        organisation=child.organisation,
        child=child,
        staff=staff,
        planned_for=planned_for,
        allowed=judgement.allowed,
        reasons=[breach.as_record() for breach in judgement.breaches],
        **fields,
    )
    plan._history_user = staff  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    plan.save()
    audit.record(
        action="practice.session_planned",
        actor=staff,
        obj=child,
        details={"plan": plan.pk, "allowed": plan.allowed, "reasons": judgement.codes},
    )
    return plan, judgement


@transaction.atomic
def plan_cancel(*, plan: PlannedSession, by: User) -> PlannedSession:
    plan = PlannedSession.objects.select_for_update(no_key=True).get(pk=plan.pk)
    if plan.cancelled_at is not None:
        raise ValidationError("That session was cancelled already.")
    plan.cancelled_at = timezone.now()
    plan.cancelled_by = by
    plan._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    plan.save()
    audit.record(
        action="practice.session_cancelled", actor=by, obj=plan.child, details={"plan": plan.pk}
    )
    return plan
