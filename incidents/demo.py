"""Demonstration incidents for the demo organisation (invented data): one new
concern waiting for triage, one referred and waiting on the agency, one closed
without a referral, and a data breach with its ICO clock running."""

import datetime as dt

from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child
from incidents import services
from incidents.models import Incident


def seed_incidents(organisation: Organisation, therapist: User, dsl: User) -> None:
    if Incident.objects.filter(organisation=organisation).exists():
        return
    children = {c.first_name: c for c in Child.objects.filter(organisation=organisation)}
    maya, theo = children.get("Maya"), children.get("Theo")
    if maya is None or theo is None:
        return
    now = timezone.now()
    today = timezone.localdate()
    services.incident_raise(
        reporter=therapist,
        children=[maya],
        category="contact",
        incident_type="grooming",
        occurred_at=now - dt.timedelta(hours=30),
        disclosed_at=now - dt.timedelta(hours=6),
        platform="An online game's voice chat",
        what_happened="During a session Maya said an older player keeps sending her gifts in "
        "the game and asked her to talk on another app.",
        childs_words="He is nice to me but he said it is our secret.",
        immediate_action="Told Maya she did the right thing by telling me. Told the DSL.",
        online_identifiers="Game username given by Maya: starfall_77 (not verified)",
        initial_risk="high",
    )
    referred = services.incident_raise(
        reporter=therapist,
        children=[theo],
        category="conduct",
        incident_type="cyberbullying",
        occurred_at=now - dt.timedelta(days=12),
        disclosed_at=now - dt.timedelta(days=12),
        platform="Class group chat",
        initial_risk="medium",
        what_happened="Theo's mother showed me messages in a class group chat mocking Theo.",
        immediate_action="Advised his mother to keep screenshots and not reply.",
    )
    services.incident_triage(
        incident=referred,
        by=dsl,
        risk="medium",
        decision="Bullying by classmates; the school "
        "should lead. Share with the school DSL with the family's agreement.",
        next_action="Agree the referral with Theo's mother",
        next_action_due=today,
    )
    services.referral_add(
        incident=referred,
        by=dsl,
        agency="school",
        referred_on=today - dt.timedelta(days=10),
        family_consent="given",
        reference="",
        contact="School DSL, by phone",
        chase_on=today - dt.timedelta(days=3),
    )
    closed = services.incident_raise(
        reporter=therapist,
        children=[maya],
        category="content",
        incident_type="harmful_content",
        initial_risk="low",
        platform="Video sharing site",
        occurred_at=now - dt.timedelta(days=40),
        disclosed_at=now - dt.timedelta(days=40),
        what_happened="An autoplayed video with frightening images appeared after a session "
        "video; Maya was upset for a few minutes.",
    )
    services.incident_triage(
        incident=closed, by=dsl, risk="low", decision="One-off; advice to the family on filters."
    )
    services.incident_close(
        incident=closed,
        by=dsl,
        outcome="Parents set up filtering and autoplay is off.",
        no_referral_rationale="No harm beyond brief upset; handled with advice.",
        parents_informed=True,
    )
    services.incident_raise(
        reporter=dsl,
        children=[],
        incident_type="data_breach",
        others_involved="Parents of the Saturday group",
        initial_risk="medium",
        occurred_at=now - dt.timedelta(hours=20),
        disclosed_at=now - dt.timedelta(hours=20),
        what_happened="A newsletter went to all parents with every address visible in the To "
        "line instead of BCC.",
        immediate_action="Recall attempted; apology drafted.",
    )
