"""Create the demo organisation and one sign-in per role, each with an authenticator.

Idempotent: running it again finds what is there, resets the demo passwords so
the printed logins always work, and creates nothing twice. Refuses to run in
production, where known passwords would be a way in.
"""

import datetime as dt
from base64 import b32encode
from binascii import unhexlify

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.models import Organisation, Role, User

DEMO_ORGANISATION = {"slug": "demo", "name": "Riverbank Children's Therapies (demo)"}
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed on purpose; never in production
DEMO_STAFF = [
    ("therapist@demo.safeguard.test", "Sam Okafor", Role.STAFF),
    ("dsl@demo.safeguard.test", "Priya Raman", Role.DSL),
    ("deputy@demo.safeguard.test", "Tom Hughes", Role.DEPUTY_DSL),
    ("director@demo.safeguard.test", "Helen Marsh", Role.DIRECTOR),
    ("admin@demo.safeguard.test", "Ade Bello", Role.ADMIN),
]
DEMO_PENDING_INVITEE = ("jo.newstarter@demo.safeguard.test", "Jo Patel")


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as an authenticator app expects it to be typed in."""
    return b32encode(unhexlify(device.key)).decode()


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisation and its staff sign-ins."

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates known passwords and never runs in production.")
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                slug=DEMO_ORGANISATION["slug"],
                defaults={"name": DEMO_ORGANISATION["name"]},
            )
            staff = [self._demo_user(organisation, *person) for person in DEMO_STAFF]
            # Someone who never finished setting up, so the demo has a reminder to show.
            User.objects.get_or_create(
                email=DEMO_PENDING_INVITEE[0],
                defaults={
                    "full_name": DEMO_PENDING_INVITEE[1],
                    "organisation": organisation,
                    "invited_at": timezone.now() - dt.timedelta(days=5),
                    "invited_by": staff[-1][0],
                },
            )

        self.stdout.write(f"Demo organisation: {organisation.name}")
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}).")
        self.stdout.write(
            "Add a TOTP secret to an authenticator app as a time-based key "
            "(or print a code with: oathtool --totp -b SECRET)."
        )
        for user, device in staff:
            role = user.get_role_display()
            self.stdout.write(f"  {role:<30} {user.email:<32} TOTP {totp_secret_base32(device)}")

    def _demo_user(
        self, organisation: Organisation, email: str, name: str, role: str
    ) -> tuple[User, TOTPDevice]:
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "organisation": organisation, "role": role},
        )
        if user.organisation_id != organisation.pk:
            raise CommandError(f"{email} belongs to another organisation; not touching it.")
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user, device
