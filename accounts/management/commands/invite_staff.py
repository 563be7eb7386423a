"""Invite a member of staff from the command line: how a platform operator creates
an organisation's first admin, who then invites everyone else from the portal."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from accounts.models import Organisation, Role


class Command(BaseCommand):
    help = "Invite someone to an organisation by email (they choose a password, then set up 2FA)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="their full name")
        parser.add_argument("--role", default=Role.ADMIN, choices=Role.values)

    def handle(self, *args: Any, **options: str) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
        try:
            user = services.staff_invite(
                organisation=organisation,
                invited_by=None,
                email=options["email"],
                full_name=options["name"],
                role=options["role"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if user is None:
            raise CommandError(
                f"{options['email']} already has an account with another organisation; "
                "no account was made, and the address was emailed to say so."
            )
        self.stdout.write(f"Invitation emailed to {user.email} for {organisation.name}.")
