"""Consent types and their wording: the defaults every organisation starts with,
and the version of the wording a parent is shown."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organisation
from common import i18n
from consent.models import (
    ConsentType,
    ConsentTypeVersion,
    MediaKind,
)
from policies.models import PolicyVersion

# Plain words a parent can follow. The organisation can change them; a change
# makes a new version of the wording. Each has a Welsh version too (WELSH below),
# so a service in Wales starts with both; the organisation owns and edits both.
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


# Each default type's Welsh: its name, then its explanation.
WELSH: dict[str, tuple[str, str]] = {
    "online_sessions": (
        "Sesiynau ar-lein a galwadau fideo",
        (
            "Gall eich plentyn gael sesiynau therapi drwy alwad fideo ar gyfrif trwyddedig "
            "y sefydliad ei hun. Rydych chi, neu oedolyn arall rydych yn ymddiried ynddo, "
            "yn aros gartref ac o fewn cyrraedd drwy gydol y sesiwn."
        ),
    ),
    "messaging": (
        "Apiau sgwrsio a negeseua",
        (
            "Gall therapydd eich plentyn ddefnyddio ap sgwrsio neu negeseua ar y ffôn "
            "gyda'ch plentyn, er enghraifft pan fo siarad yn anodd. Mae'r negeseuon am "
            "sesiynau yn unig."
        ),
    ),
    "voice_messages": (
        "Negeseuon llais",
        ("Gall therapydd eich plentyn anfon neu dderbyn negeseuon llais byr am sesiynau."),
    ),
    "direct_contact": (
        "Cysylltu'n uniongyrchol â'ch plentyn",
        (
            "Gall staff e-bostio eich plentyn am ei sesiynau, yn ystod oriau gwaith, ac "
            "rydych yn cael copi o bob e-bost. Nid yw staff byth yn ffonio nac yn anfon "
            "neges destun at eich plentyn: daw galwadau a negeseuon atoch chi, y rhiant "
            "neu'r gofalwr."
        ),
    ),
    "photos_internal": (
        "Lluniau a fideos ar gyfer ein cofnodion",
        (
            "Efallai y byddwn yn tynnu lluniau neu fideos byr o waith eich plentyn mewn "
            "sesiynau, a'u cadw ar ddyfeisiau gwaith yn unig, i ddilyn ei gynnydd."
        ),
    ),
    "photos_print": (
        "Lluniau mewn deunydd printiedig",
        (
            "Efallai y byddwn yn defnyddio llun o'ch plentyn mewn taflenni neu "
            "arddangosfeydd printiedig. Nid ydym byth yn argraffu enw llawn eich plentyn "
            "wrth ei ymyl."
        ),
    ),
    "photos_online": (
        "Lluniau ar-lein ac ar y cyfryngau cymdeithasol",
        (
            "Efallai y byddwn yn postio llun neu fideo o'ch plentyn ar ein gwefan neu ar "
            "ein cyfrifon cyfryngau cymdeithasol. Nid ydym byth yn postio enw llawn nac "
            "ysgol eich plentyn."
        ),
    ),
    "recording": (
        "Recordio sesiynau",
        (
            "Gall sesiwn gael ei recordio ar gyfer goruchwyliaeth neu gofnodion eich "
            "plentyn. Caiff recordiadau eu cadw'n ddiogel a'u dileu pan nad oes eu hangen "
            "mwyach."
        ),
    ),
}


# Ticked on a new consent request until the organisation says otherwise: what
# online work itself rests on. Photos and recordings are asked for when a service
# uses them, so they start unticked.
ASKED_BY_DEFAULT = frozenset({"online_sessions", "messaging", "voice_messages", "direct_contact"})


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
        name_cy, explanation_cy = WELSH.get(code, ("", ""))
        consent_type, created = ConsentType.objects.get_or_create(
            organisation=organisation,
            code=code,
            defaults={
                "name": name,
                "name_cy": name_cy,
                "validity_months": 12,
                "media": media,
                "asked_by_default": code in ASKED_BY_DEFAULT,
            },
        )
        if created:
            ConsentTypeVersion.objects.get_or_create(
                consent_type=consent_type,
                number=1,
                defaults={
                    "explanation": explanation,
                    "name_cy": name_cy,
                    "explanation_cy": explanation_cy,
                    "policy_version": policy_version,
                },
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
            # The organisation's Welsh goes on with its English: losing it would
            # show Welsh families the English after every policy review.
            name_cy=version.name_cy,
            explanation_cy=version.explanation_cy,
            policy_version=policy_version,
        )
    return version


def shown_name(version: ConsentTypeVersion, language: str | None = None) -> str:
    """The consent's name as this version of the wording showed it: its own Welsh
    name on a Welsh page (the type's may have changed since), else the English.
    ``language`` None: the active language."""
    if i18n.is_welsh(language) and version.name_cy:
        return version.name_cy
    return version.consent_type.name
