"""Demonstration policies, written for Safeguard's demo organisation.

Nothing here is copied from a real service's policy; the texts are short on
purpose. One is due for review soon and one is overdue, so the reminders and
the dashboard have something to show.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import Organisation, User
from policies import services
from policies.models import Policy

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


def seed_policies(organisation: Organisation, admin: User, director: User) -> None:
    if Policy.objects.filter(organisation=organisation).exists():
        return
    today = timezone.localdate()
    for title, category, body, approved_on, audience in [
        (
            "Online Safety Policy",
            "online_safety",
            ONLINE_SAFETY,
            today - relativedelta(months=12, days=-45),
            ["staff", "dsl", "deputy_dsl"],
        ),
        (
            "Photography and Video Policy",
            "photography",
            PHOTOGRAPHY,
            today - relativedelta(months=13),
            ["staff"],
        ),
        (
            "Remote Sessions Policy",
            "remote_sessions",
            REMOTE,
            today - dt.timedelta(days=60),
            ["staff"],
        ),
    ]:
        draft = services.policy_create(
            organisation=organisation,
            by=admin,
            title=title,
            category=category,
            body=body,
            owner=admin,
            audience_roles=audience,
            audience_parents=category != "remote_sessions",
        )
        services.version_approve(
            draft=draft, by=admin, approved_on=approved_on, approved_by=director
        )
