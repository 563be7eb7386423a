"""Demonstration online-practice registers for the demo organisation (invented):
an approved, assessed video platform and a messaging app not yet approved; the
therapist's attested work phone; a social media account with only one holder
(so the dashboard has something to flag); the recurring tasks."""

import datetime as dt

from django.utils import timezone

from accounts.models import Organisation, User
from practice import services
from practice.models import Platform


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
