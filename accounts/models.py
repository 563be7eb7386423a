"""Core records: the organisations that use Safeguard and the staff who sign in.

The custom user model lives in the very first migration so that nobody ever has
to swap it later; later issues add fields to it, never replace it.
"""

import dataclasses
import zoneinfo
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.validators import validate_person_name


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a timezone name such as Europe/London.")


class OnlineDBSLevel(models.TextChoices):
    """The DBS levels an organisation may require before staff work online with
    children. The values are compliance.models.DBSLevel's top two, repeated here
    because accounts sits below compliance and may not import it; a compliance
    test keeps the two in step."""

    ENHANCED = "enhanced", "Enhanced"
    ENHANCED_BARRED = "enhanced_barred", "Enhanced with children's barred list"


class SafeguardingTitle(models.TextChoices):
    LEAD = "lead", "Designated Safeguarding Lead (DSL)"
    PERSON = "person", "Designated Safeguarding Person (DSP)"


@dataclasses.dataclass(frozen=True)
class LeadTitles:
    """The lead's title, short and long, and the deputy's: one place, so a
    Welsh service's pages never say DSL in one line and DSP in the next."""

    lead: str
    short: str
    deputy: str

    @classmethod
    def of(cls, title: str) -> "LeadTitles":
        if title == SafeguardingTitle.PERSON:
            return cls(
                lead=gettext("Designated Safeguarding Person"),
                short=gettext("DSP"),
                deputy=gettext("Deputy DSP"),
            )
        return cls(
            lead=gettext("Designated Safeguarding Lead"),
            short=gettext("DSL"),
            deputy=gettext("Deputy DSL"),
        )

    def role(self, role: str) -> str:
        """A role's label with the lead's title in it; for lists, where reaching
        each user's organisation (User.role_label) would cost a query a row."""
        if role == Role.DSL:
            return self.lead
        if role == Role.DEPUTY_DSL:
            return self.deputy
        return str(Role(role).label) if role in Role.values else role


class Organisation(models.Model):
    """A children's service. Every row that belongs to one carries it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    default_review_interval_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How often policies are reviewed unless a policy says otherwise.",
    )
    dbs_recheck_months = models.PositiveSmallIntegerField(
        "months between DBS checks",
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    online_dbs_level = models.CharField(
        "DBS level online work with children needs",
        max_length=20,
        choices=OnlineDBSLevel.choices,
        default=OnlineDBSLevel.ENHANCED,
        help_text="The lowest DBS check that lets a member of staff work online with "
        "children. Enhanced is what online-safety policies usually ask for; choose "
        '"Enhanced with children\'s barred list" where the work is regulated activity '
        "with children. A Basic or Standard check, or one past its re-check date, never "
        "counts.",
    )
    # "Who to tell": shown with the DSL and deputies on every staff and parent
    # page and email, so a worry never waits for someone to find a name.
    online_presence_lead = models.ForeignKey(
        "User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who looks after the organisation's websites and social media accounts.",
    )
    urgent_route = models.CharField(
        "how to raise an urgent worry",
        max_length=300,
        blank=True,
        help_text="Shown to parents and staff beside the DSL's contact, for example "
        '"Call 01234 567890 (9am to 5pm). Never use social media to tell us about a '
        'worry." The 999 line is always added.',
    )
    # What parents see of the service: its own pages, not Safeguard's.
    logo = models.ImageField(
        upload_to="logos/",
        blank=True,
        help_text="PNG or JPEG, shown at the top of parents' pages, emails' links and receipts.",
    )
    contact_phone = models.CharField("phone number for parents", max_length=40, blank=True)
    contact_email = models.EmailField("email address for parents", blank=True)
    parent_language = models.CharField(
        "language parents see first",
        max_length=10,
        choices=[("en-gb", "English"), ("cy", "Cymraeg (Welsh)")],
        default="en-gb",
        help_text="Parents can switch between English and Welsh on every page.",
    )
    safeguarding_title = models.CharField(
        "title of the safeguarding lead",
        max_length=10,
        choices=SafeguardingTitle.choices,
        default=SafeguardingTitle.LEAD,
        help_text="England says Designated Safeguarding Lead (DSL); Wales says "
        "Designated Safeguarding Person (DSP). Used on every page and email.",
    )
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def titles(self) -> "LeadTitles":
        """What this organisation calls its safeguarding lead, in the active language."""
        return LeadTitles.of(self.safeguarding_title)


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    DIRECTOR = "director", "Director"
    ADMIN = "admin", "Organisation admin"


# The one definition of the safeguarding leads' roles; permissions and recipients
# both read it, so "who leads" cannot mean one thing here and another there.
LEAD_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL})


def has_second_factor() -> Exists:
    """Whether the user of the outer query has a confirmed authenticator. A device
    someone started adding but never confirmed with a code protects nothing."""
    return Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))


class UserQuerySet(models.QuerySet["User"]):
    """Who is who in an organisation, asked one way everywhere.

    ``leads()`` and ``admins()`` mean active people only: someone who can no
    longer sign in is told of nothing.
    """

    def of(self, organisation: "Organisation") -> "UserQuerySet":
        return self.filter(organisation=organisation)

    def active(self) -> "UserQuerySet":
        return self.filter(is_active=True)

    def admins(self) -> "UserQuerySet":
        return self.active().filter(role=Role.ADMIN)

    def dsl_and_deputies(self) -> "UserQuerySet":
        """The active DSL and deputies, with no fallback: for duties only they may do."""
        return self.active().filter(role__in=LEAD_ROLES)

    def leads(self) -> "UserQuerySet":
        """The leads: the active DSL and deputies, or the active admins of an
        organisation that has neither, so that nothing a lead must hear goes unheard."""
        lead_of_same_organisation = self.model._default_manager.filter(
            organisation=OuterRef("organisation"), is_active=True, role__in=LEAD_ROLES
        )
        return self.active().filter(
            Q(role__in=LEAD_ROLES) | (Q(role=Role.ADMIN) & ~Exists(lead_of_same_organisation))
        )

    def with_second_factor(self) -> "UserQuerySet":
        return self.filter(has_second_factor())

    def without_second_factor(self) -> "UserQuerySet":
        return self.filter(~has_second_factor())


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        extra.setdefault("role", Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Email addresses are stored lower-case, so sign-in is case-insensitive.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").lower()})


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Parents never have accounts; they use emailed links."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200, validators=[validate_person_name])
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    phone = models.CharField(
        "work phone",
        max_length=40,
        blank=True,
        help_text="Shown in the who-to-tell directory for the DSL, deputies and the "
        "online-presence lead.",
    )
    is_active = models.BooleanField(default=True)
    # Django's own flag for the admin site, not a safeguarding role.
    is_staff = models.BooleanField("may use the Django admin", default=False)
    date_joined = models.DateTimeField(default=django_timezone.now, editable=False)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name", "organisation"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def invitation_pending(self) -> bool:
        """Invited but has not yet chosen a password."""
        return self.is_active and not self.has_usable_password()

    def get_full_name(self) -> str:
        return self.full_name

    @property
    def role_label(self) -> str:
        """The role as this organisation names it (DSL or DSP); use it, not
        get_role_display, wherever a role is shown."""
        titles = self.organisation.titles
        if self.role == Role.DSL:
            return titles.lead
        if self.role == Role.DEPUTY_DSL:
            return titles.deputy
        return str(self.get_role_display())

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class StaffSession(models.Model):
    """Which session keys belong to which user, so that deactivating someone or
    resetting their second factor can end every session they have at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"session of {self.user_id}"
