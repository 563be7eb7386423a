"""Demonstration supervision for the demo organisation (invented data): the
therapist's last session with the DSL, one child discussed, and an action
still to do, so the list, the reminders and the child's chronology have
something to show."""

import datetime as dt

from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child
from supervision import services
from supervision.models import SupervisionSession


def seed_supervision(organisation: Organisation, therapist: User, dsl: User) -> None:
    if SupervisionSession.objects.filter(organisation=organisation).exists():
        return
    maya = Child.objects.filter(organisation=organisation, first_name="Maya").first()
    if maya is None:
        return
    today = timezone.localdate()
    services.session_record(
        by=dsl,
        supervisor=dsl,
        supervisee=therapist,
        held_on=today - dt.timedelta(weeks=5),
        notes="Caseload manageable. Asked for refresher training on online grooming.",
        discussions=[
            services.Discussion(
                child=maya,
                discussed="Maya has talked twice about an older player in a game who sends "
                "her gifts. The therapist is unsure whether to raise it with her mother.",
                agreed="Raise a concern today; the DSL speaks to Maya's mother.",
            )
        ],
        actions=[
            services.ActionAgreed(
                owner=therapist,
                what="Book the online grooming refresher",
                due_on=today + dt.timedelta(days=3),
            )
        ],
    )
