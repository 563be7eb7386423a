"""Prove the audit log's hash chain is intact; exit 1 naming what is broken.

With ``--against FILE`` (a signed checkpoint, audit.checkpoints) it also proves
the chain still reaches the event the checkpoint saw, with the same hash: what
catches the newest events cut off with the head put back, or everything emptied.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.checkpoints import CheckpointError, checkpoint_compare, checkpoint_read
from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain. Exits 0 when intact, 1 otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--against",
            metavar="FILE",
            help="a signed audit checkpoint file the chain must still reach",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = None
        if options["against"]:
            path = Path(options["against"])
            try:
                checkpoint = checkpoint_read(path.read_bytes())
            except OSError as error:
                raise CommandError(
                    f"Cannot read the checkpoint {path}: {error.strerror}."
                ) from error
            except CheckpointError as error:
                raise CommandError(f"Checkpoint {path} refused: {error}") from error
        report = verify_chain()
        problems = []
        if not report.intact:
            problems.append(
                f"Audit chain broken at {report.problem} ({report.checked} events verified first)."
            )
            problems.extend(f"  {problem}" for problem in report.records)
        if checkpoint is not None:
            shortfall = checkpoint_compare(checkpoint)
            if shortfall:
                problems.append(f"Audit chain falls short of the checkpoint: {shortfall}.")
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"Audit chain intact: {report.checked} events verified.")
        if checkpoint is not None:
            self.stdout.write(
                f"It reaches the checkpoint of {checkpoint.taken_at:%Y-%m-%d %H:%M} UTC "
                f"(event #{checkpoint.seq})."
            )
