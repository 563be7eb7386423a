"""Prepare a load test: an organisation with parents holding fresh consent links
and directors holding signed-in sessions, written to a JSON file for
loadtest/locustfile.py.

    manage.py loadtest_prepare --parents 400 --directors 5 --out var/loadtest.json

Never in production: it writes session keys and consent tokens to a file.
"""

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from children import services as caseload


class Command(BaseCommand):
    help = "Create a load-test organisation, consent links and director sessions (not prod)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--parents", type=int, default=400)
        parser.add_argument("--directors", type=int, default=5)
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "loadtest.json"))

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("loadtest_prepare writes session keys and never runs in production.")
        from consent import services as consent_services
        from consent.models import ConsentRequest

        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        organisation = Organisation.objects.create(name=f"Load test {stamp}", slug=f"load-{stamp}")
        admin = User.objects.create_user(
            f"admin-{stamp}@load.test",
            None,
            full_name="Load Admin",
            organisation=organisation,
            role=Role.ADMIN,
        )
        types = consent_services.consent_types_ensure(organisation=organisation)[:3]
        tokens = []
        for n in range(int(options["parents"])):
            child = caseload.child_create(
                organisation=organisation,
                by=admin,
                first_name=f"Child{n}",
                last_name="Load",
                date_of_birth=dt.date(2016, 1, 1),
            )
            link = caseload.guardian_add(
                child=child,
                by=admin,
                full_name=f"Parent {n}",
                email=f"p{n}-{stamp}@load.test",
                phone="",
                preferred_contact="email",
                relationship="parent",
                parental_responsibility=True,
            )
            # As consent_request_send does, but keeping the token for the test.
            token, digest = consent_services._token()
            consent_request = ConsentRequest.objects.create(
                organisation=organisation,
                child=child,
                guardian=link.guardian,
                token_sha256=digest,
                sent_by=admin,
                expires_at=timezone.now() + dt.timedelta(days=1),
            )
            consent_request.items.set([consent_services.current_wording(t) for t in types])
            tokens.append(token)
        sessions = []
        for n in range(int(options["directors"])):
            director = User.objects.create_user(
                f"director{n}-{stamp}@load.test",
                None,
                full_name=f"Director {n}",
                organisation=organisation,
                role=Role.DIRECTOR,
            )
            device = TOTPDevice.objects.create(user=director, name="default", confirmed=True)
            client = Client()
            client.force_login(director)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
            sessions.append(session.session_key)
        out = Path(str(options["out"]))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "tokens": tokens,
                    "director_sessions": sessions,
                    "session_cookie": settings.SESSION_COOKIE_NAME,
                }
            )
        )
        self.stdout.write(
            f"{len(tokens)} consent links and {len(sessions)} director sessions "
            f"for {organisation.slug} written to {out}"
        )
