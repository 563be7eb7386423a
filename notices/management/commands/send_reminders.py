"""Run the reminder sweep now, in this process, and print what it did as JSON.

The same sweep Celery beat runs hourly; useful from cron if the broker is down,
to catch up by hand, or with --now to see what a given moment would send.
"""

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from notices import engine as reminders


class Command(BaseCommand):
    help = "Sweep for due reminders and send them now. Prints JSON counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="pretend it is this moment (ISO 8601; UTC unless it carries an offset)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what is due; claim and send nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(str(options["now"]))
            except ValueError:
                raise CommandError(f"--now must be ISO 8601, not {options['now']!r}.") from None
            if timezone.is_naive(now):
                now = now.replace(tzinfo=dt.UTC)
        result = reminders.sweep(now=now, dry_run=options["dry_run"])
        if not options["dry_run"]:
            reminders.deliver(result)
        self.stdout.write(json.dumps({"now": now.isoformat(), **result.counts()}))
