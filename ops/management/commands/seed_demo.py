"""Create the demo organisation and one sign-in per role, each with an authenticator.

Idempotent: running it again finds what is there, resets the demo passwords so
the printed logins always work, and creates nothing twice. Refuses to run in
production, where known passwords would be a way in.
"""

import datetime as dt
from base64 import b32encode
from binascii import unhexlify
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from children import services as caseload
from children.models import Child
from compliance import services as compliance
from compliance.models import DBSCheck

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
# Invented children for the demo: (first, last, born, communication needs, parents, allocated)
DEMO_CHILDREN = [
    (
        "Maya",
        "Okoro",
        "2016-03-14",
        "Prefers typed chat to speaking in sessions.",
        [
            ("Grace Okoro", "grace.okoro@example.test", "mother"),
            ("Daniel Okoro", "daniel.okoro@example.test", "father"),
        ],
        True,
    ),
    (
        "Theo",
        "Brennan",
        "2018-09-02",
        "Uses a picture board; give extra time to answer.",
        [("Siobhan Brennan", "siobhan.b@example.test", "mother")],
        True,
    ),
    (
        "Amira",
        "Saleh",
        "2013-12-20",
        "",
        [("Yusuf Saleh", "yusuf.saleh@example.test", "father")],
        False,
    ),
]


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as an authenticator app expects it to be typed in."""
    return b32encode(unhexlify(device.key)).decode()


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisation and its staff sign-ins."

    def handle(self, *args: Any, **options: Any) -> None:
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

            by_role = {u.role: u for u, _ in staff}
            self._demo_children(organisation, by_role)
            # The one place the core reaches into the apps: the demo needs every app's data.
            from policies.demo import seed_policies

            seed_policies(organisation, by_role[Role.ADMIN], by_role[Role.DIRECTOR])
            from compliance.demo import seed_induction

            # After the policies: the code of conduct for staff is among them.
            seed_induction(organisation)
            from consent.demo import seed_consent

            seed_consent(organisation, by_role[Role.DSL])
            from incidents.demo import seed_incidents

            seed_incidents(organisation, by_role[Role.STAFF], by_role[Role.DSL])
            from practice.demo import seed_practice

            seed_practice(organisation, by_role[Role.STAFF], by_role[Role.DSL], by_role[Role.ADMIN])
            from supervision.demo import seed_supervision

            seed_supervision(organisation, by_role[Role.STAFF], by_role[Role.DSL])
            from policies.agreements import seed_child_agreements

            seed_child_agreements(organisation, by_role[Role.STAFF])

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

    def _demo_children(self, organisation: Organisation, by_role: dict[str, User]) -> None:
        """A few children with their parents, two on the therapist's caseload."""
        admin, therapist = by_role[Role.ADMIN], by_role[Role.STAFF]
        today = timezone.localdate()
        for first, last, born, needs, parents, allocated in DEMO_CHILDREN:
            child = Child.objects.filter(
                organisation=organisation, first_name=first, last_name=last
            ).first()
            if child is None:
                child = caseload.child_create(
                    organisation=organisation,
                    by=admin,
                    first_name=first,
                    last_name=last,
                    date_of_birth=dt.date.fromisoformat(born),
                    active_from=today - dt.timedelta(days=120),
                    communication_needs=needs,
                )
                for name, email, relationship in parents:
                    caseload.guardian_add(
                        child=child,
                        by=admin,
                        full_name=name,
                        email=email,
                        phone="",
                        preferred_contact="email",
                        relationship=relationship,
                        parental_responsibility=True,
                    )
                if allocated:
                    caseload.allocation_start(
                        child=child, staff=therapist, starts_on=today, by=admin
                    )
        if not DBSCheck.objects.filter(staff=therapist).exists():
            # Issued long enough ago that the re-check falls due within the month.
            compliance.dbs_check_record(
                staff=therapist,
                by=admin,
                level="enhanced_barred",
                issued_on=today - relativedelta(months=organisation.dbs_recheck_months, days=-20),
                update_service=False,
            )
            # The therapist's training is in place, so the demo's "may I?" turns on
            # consent and the session's own safeguards.
            for kind in sorted(compliance.required_training([therapist])[therapist.pk]):
                compliance.training_record(
                    staff=therapist, by=admin, kind=kind, completed_on=today - dt.timedelta(days=40)
                )
