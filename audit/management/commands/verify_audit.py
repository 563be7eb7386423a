"""Prove the audit log's hash chain is intact; exit 1 naming the first broken event."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain. Exits 0 when intact, 1 otherwise."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.intact:
            raise CommandError(
                f"Audit chain broken at {report.problem} ({report.checked} events verified first)."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} events verified.")
