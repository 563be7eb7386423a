"""Consent types and their wording: the defaults every organisation starts with,
and the version of the wording a parent is shown."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organisation
from consent.models import (
    ConsentType,
    ConsentTypeVersion,
    MediaKind,
)
from policies.models import PolicyVersion

# Plain words a parent can follow. The organisation can change them; a change
# makes a new version of the wording.
DEFAULT_TYPES = [
    (
        "online_sessions",
        "Online sessions and video calls",
        "",
        (
            "Your child may have therapy sessions by video call on the organisation's own "
            "licensed account. You or another adult you trust stays at home and within reach "
            "for the whole session."
        ),
    ),
    (
        "messaging",
        "Chat and messaging apps",
        "",
        (
            "Your child's therapist may use a phone-based chat or messaging app with your "
            "child, for example when talking is hard. Messages are about sessions only."
        ),
    ),
    (
        "voice_messages",
        "Voice messages",
        "",
        ("Your child's therapist may send or receive short voice messages about sessions."),
    ),
    (
        "direct_contact",
        "Direct contact with your child",
        "",
        (
            "Staff may email your child about their sessions, in working hours, and you are "
            "copied into every email. Staff never phone or text your child: calls and "
            "messages come to you, a parent or carer."
        ),
    ),
    (
        "photos_internal",
        "Photos and videos for our records",
        MediaKind.PHOTOS_VIDEO,
        (
            "We may take photos or short videos of your child's work in sessions, kept on "
            "work devices only, to track progress."
        ),
    ),
    (
        "photos_print",
        "Photos in printed material",
        MediaKind.PHOTOS_VIDEO,
        (
            "We may use a photo of your child in printed leaflets or displays. We never "
            "print your child's full name beside it."
        ),
    ),
    (
        "photos_online",
        "Photos online and on social media",
        MediaKind.ONLINE_POSTS,
        (
            "We may post a photo or video of your child on our website or social media "
            "accounts. We never post your child's full name or school."
        ),
    ),
    (
        "recording",
        "Recording sessions",
        MediaKind.RECORDING,
        (
            "A session may be recorded for supervision or your child's records. Recordings "
            "are stored securely and deleted when no longer needed."
        ),
    ),
]


def _current_online_policy(organisation: Organisation) -> PolicyVersion | None:
    from policies.models import Policy
    from policies.services import policy_state

    policy = (
        Policy.objects.filter(organisation=organisation, category="online_safety")
        .order_by("pk")
        .first()
    )
    return policy_state(policy).current if policy else None


def consent_types_ensure(*, organisation: Organisation) -> list[ConsentType]:
    """The organisation's consent types, creating the defaults the first time.

    Every child's page asks, and only an organisation's first asking creates:
    the usual answer is one read, with no transaction (and no savepoint) of its own.
    """
    types = list(ConsentType.objects.filter(organisation=organisation))
    return types or _consent_types_create(organisation)


@transaction.atomic
def _consent_types_create(organisation: Organisation) -> list[ConsentType]:
    """get_or_create per code, so two first page views at once cannot collide."""
    policy_version = _current_online_policy(organisation)
    for code, name, media, explanation in DEFAULT_TYPES:
        consent_type, created = ConsentType.objects.get_or_create(
            organisation=organisation,
            code=code,
            defaults={"name": name, "validity_months": 12, "media": media},
        )
        if created:
            ConsentTypeVersion.objects.get_or_create(
                consent_type=consent_type,
                number=1,
                defaults={"explanation": explanation, "policy_version": policy_version},
            )
    return list(ConsentType.objects.filter(organisation=organisation))


def current_wording(consent_type: ConsentType) -> ConsentTypeVersion:
    """The wording to show now: a new version when the policy it rests on has a
    newer approved version, so parents and the evidence always name the current one."""
    version = consent_type.current_version()
    if version is None:
        raise ValidationError(f"{consent_type.name} has no wording yet.")
    policy_version = _current_online_policy(consent_type.organisation)
    if (
        version.policy_version_id
        and policy_version
        and version.policy_version_id != policy_version.pk
    ):
        version = ConsentTypeVersion.objects.create(
            consent_type=consent_type,
            number=version.number + 1,
            explanation=version.explanation,
            # The admin's Welsh goes with it: without it Welsh readers get English.
            explanation_cy=version.explanation_cy,
            policy_version=policy_version,
        )
    return version
