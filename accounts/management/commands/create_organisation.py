"""Create an organisation (with its default consent types) on a new deployment.

    manage.py create_organisation --name "Riverside Play Therapy" --slug riverside

Then invite its first admin with `manage.py invite_staff --organisation riverside ...`.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Organisation


class Command(BaseCommand):
    help = "Create an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="short name used in commands")
        parser.add_argument("--timezone", default="Europe/London")

    def handle(self, *args: Any, **options: str) -> None:
        organisation = Organisation(
            name=options["name"], slug=options["slug"], timezone=options["timezone"]
        )
        try:
            organisation.full_clean()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            organisation.save()
            # The one place the core reaches into an app: a new organisation
            # starts with the default consent types.
            from consent.services import consent_types_ensure

            consent_types_ensure(organisation=organisation)
        self.stdout.write(f"Created {organisation.name} ({organisation.slug}).")
