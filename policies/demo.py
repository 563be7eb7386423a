"""Demonstration policies, written for Safeguard's demo organisation.

Nothing here is copied from a real service's policy; the texts are short on
purpose. One is due for review soon and one is overdue, so the reminders and
the dashboard have something to show. Only two are parent-facing (online
safety and the parents' code of conduct): parents agree to each before
sessions are planned, and the consent demo records that they have.
"""

import datetime as dt
from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import Organisation, Role, User
from policies import services
from policies.models import ChangeKind, Policy, PolicyCategory

ONLINE_SAFETY = """# Purpose

We work with children online only in ways their parents have agreed to in writing,
on platforms we have checked, and in ways any colleague could watch without concern.

# Sessions

- Video sessions use the organisation's licensed account, never a personal one.
- A parent or carer is at home and reachable for the whole session.
- Sessions are not recorded unless a parent has agreed to recording.

# Messages

- Staff message parents, not children, unless a parent has agreed to direct contact.
- Every message to a child is copied to the parent's email address.
- Messages are sent in working hours and only about sessions.

# Concerns

Anything that worries you goes to the Designated Safeguarding Lead the same day.
"""

PHOTOGRAPHY = """# Photographs and video

We take photographs of children only with a parent's written consent for each use:
our own records, printed material, or our website and social media.

Images are stored on work devices only and deleted when the consent ends.
"""

REMOTE = """# Remote sessions

Before the first remote session we agree with the family where the child will sit,
who else will be at home, and what happens if the connection drops.

If a child becomes distressed we end the session calmly and phone the parent at once.
"""

CONDUCT_STAFF = """# How we behave with children and families

- We see children only in planned sessions, at the times and places agreed with their parents.
- We never give a child a personal phone number, email address or social media name.
- We do not accept friend or follow requests from children or their families.
- We do not keep secrets with a child. If a child tells us something worrying, we
  say kindly that we must pass it on, and we tell the Designated Safeguarding Lead the same day.
- We do not take photographs of children on our own devices.
- We dress, speak and write in a way we would be comfortable for a colleague to see.

# If something goes wrong

Tell the Designated Safeguarding Lead at once, or the deputy if they are away.
The office number is 01632 960 410.
"""

# The same code with the office number corrected: an editorial change.
CONDUCT_STAFF_V2 = CONDUCT_STAFF.replace("01632 960 410", "01632 960 418")

CONDUCT_PARENTS = """# Working together

We want every session to be safe and useful for your child. We ask parents and carers to:

- Be at home and easy to reach during online sessions.
- Keep the session private: please do not record it or share screenshots.
- Speak to us politely, as we will to you. We do not accept abuse of our staff.
- Tell us about anything that might affect your child's safety or wellbeing.
- Contact us through the office, not a member of staff's personal accounts.

If you are unhappy with anything, please speak to the director. We will listen.
"""

AGREEMENT_YOUNGER = """# My online sessions

- I will have my session somewhere my grown-up knows about.
- I will be kind to the person I am talking to.
- I will not take photos or videos of the screen.
- I will not share my passwords, even with friends.
- I will tell a grown-up I trust if something online upsets me.
- I know I can stop and say "I don't want to do this".
"""

AGREEMENT_OLDER = """# Using technology in sessions

- I will join sessions from a private place my parent or carer agrees to.
- I will not record, screenshot or share anything from a session.
- I will only contact my therapist through the ways the service has set up.
- I will keep my passwords and personal details to myself.
- If anything online makes me feel unsafe, worried or pressured, I will tell my
  therapist or an adult I trust. Telling is never the wrong thing to do.
- I understand my therapist has to pass on worries about my safety.
"""

WORKS_WITH_CHILDREN = [Role.STAFF, Role.DSL, Role.DEPUTY_DSL]


def seed_policies(organisation: Organisation, admin: User, director: User) -> None:
    if Policy.objects.filter(organisation=organisation).exists():
        return
    today = timezone.localdate()
    made: dict[str, Policy] = {}
    seeds: list[tuple[str, str, str, str, dt.date, Sequence[str], tuple[int, int] | None]] = [
        (
            # Due for review in 45 days.
            "online",
            "Online Safety Policy",
            PolicyCategory.ONLINE_SAFETY,
            ONLINE_SAFETY,
            today - relativedelta(months=12, days=-45),
            WORKS_WITH_CHILDREN,
            None,
        ),
        (
            # Overdue for review.
            "photos",
            "Photography and Video Policy",
            PolicyCategory.PHOTOGRAPHY,
            PHOTOGRAPHY,
            today - relativedelta(months=13),
            [Role.STAFF],
            None,
        ),
        (
            "remote",
            "Remote Sessions Policy",
            PolicyCategory.REMOTE_SESSIONS,
            REMOTE,
            today - dt.timedelta(days=60),
            [Role.STAFF],
            None,
        ),
        (
            "conduct_staff",
            "Code of conduct for staff",
            PolicyCategory.CONDUCT_STAFF,
            CONDUCT_STAFF,
            today - dt.timedelta(days=90),
            list(Role.values),
            None,
        ),
        (
            "conduct_parents",
            "Code of conduct for parents and carers",
            PolicyCategory.CONDUCT_PARENTS,
            CONDUCT_PARENTS,
            today - dt.timedelta(days=90),
            [],
            None,
        ),
        (
            "agreement_younger",
            "Our online agreement (ages 8 to 12)",
            PolicyCategory.ACCEPTABLE_USE,
            AGREEMENT_YOUNGER,
            today - dt.timedelta(days=75),
            WORKS_WITH_CHILDREN,
            (8, 12),
        ),
        (
            "agreement_older",
            "Acceptable use agreement (ages 13 to 17)",
            PolicyCategory.ACCEPTABLE_USE,
            AGREEMENT_OLDER,
            today - dt.timedelta(days=75),
            WORKS_WITH_CHILDREN,
            (13, 17),
        ),
    ]
    for key, title, category, body, approved_on, audience, for_children in seeds:
        draft = services.policy_create(
            organisation=organisation,
            by=admin,
            title=title,
            category=category,
            body=body,
            owner=admin,
            audience_roles=list(audience),
            audience_parents=category
            in {PolicyCategory.ONLINE_SAFETY, PolicyCategory.CONDUCT_PARENTS},
            audience_children=for_children is not None,
            children_age_from=for_children[0] if for_children else None,
            children_age_to=for_children[1] if for_children else None,
        )
        services.version_approve(
            draft=draft, by=admin, approved_on=approved_on, approved_by=director
        )
        made[key] = draft.policy

    # Everyone has accepted the staff code of conduct (it is asked before a child's
    # record opens); its v2 only corrected a phone number, so that reading still counts.
    conduct = made["conduct_staff"]
    first = conduct.versions.get()
    # Those still setting up their sign-in have read nothing yet.
    for member in User.objects.of(organisation).active().with_second_factor():
        services.acknowledge(version=first, user=member)
    draft = services.draft_start(policy=conduct, by=admin)
    services.draft_update(
        draft=draft,
        by=admin,
        body=CONDUCT_STAFF_V2,
        change_summary="Corrected the office phone number.",
        change_kind=ChangeKind.EDITORIAL,
    )
    services.version_approve(
        draft=draft, by=admin, approved_on=today - dt.timedelta(days=20), approved_by=director
    )

    for agreement in (made["agreement_younger"], made["agreement_older"]):
        _relate(agreement, made["online"], by=admin)


def _relate(policy: Policy, other: Policy, *, by: User) -> None:
    services.policy_settings_update(
        policy=policy,
        by=by,
        category=policy.category,
        owner=policy.owner,
        review_interval_months=policy.review_interval_months,
        audience_roles=policy.audience_roles,
        audience_parents=policy.audience_parents,
        audience_children=policy.audience_children,
        children_age_from=policy.children_age_from,
        children_age_to=policy.children_age_to,
        related=[*policy.related.all(), other],
    )
