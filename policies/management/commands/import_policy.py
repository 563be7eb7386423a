"""Read an existing policy document and, unless --dry-run, save it as approved.

    manage.py import_policy PATH --org SLUG [--json] [--dry-run] [--category CATEGORY]

--json prints what was read: title, version, approved_on, review_due,
review_interval_months and warnings. A document without an approval date is
not saved: use the upload form, which asks for it.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation, User
from policies import services
from policies.importing import UnreadableDocument, extract_text, read_policy
from policies.models import PolicyCategory


class Command(BaseCommand):
    help = "Import an existing policy document (.txt, .md, .docx, .pdf)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--json", action="store_true", help="print what was read as JSON")
        parser.add_argument("--dry-run", action="store_true", help="read only; save nothing")
        parser.add_argument(
            "--category", default=PolicyCategory.ONLINE_SAFETY, choices=PolicyCategory.values
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        path = Path(str(options["path"]))
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        data = path.read_bytes()
        try:
            found = read_policy(
                extract_text(path.name, data),
                default_interval_months=organisation.default_review_interval_months,
            )
        except UnreadableDocument as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(found.as_json()))
        if options["dry_run"]:
            return
        if not (found.approved_on and found.review_due):
            raise CommandError(
                "The document states no approval date; import it with the upload form, "
                "which asks for it."
            )
        importer = User.objects.of(organisation).admins().order_by("pk").first()
        if importer is None:
            raise CommandError("The organisation needs an active admin to record the import.")
        version = services.policy_import(
            organisation=organisation,
            by=importer,
            title=found.title,
            category=options["category"],
            label=found.version or "v1",
            body=found.body,
            approved_on=found.approved_on,
            approved_by_name="",
            review_due=found.review_due,
            review_interval_months=found.review_interval_months,
            filename=path.name,
            data=data,
        )
        if not options["json"]:
            self.stdout.write(f"Imported {version.policy.title} {version.label}.")
