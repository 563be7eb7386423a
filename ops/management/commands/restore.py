"""Restore a backup made by ``manage.py backup`` into another database.

    createdb safeguard_restored
    manage.py restore /backups/safeguard-2026-11-25.dump \\
        --database-url postgres://user:password@host:5432/safeguard_restored
    DATABASE_URL=postgres://user:password@host:5432/safeguard_restored manage.py verify_audit

PostgreSQL: ``pg_restore --clean --if-exists --no-owner --single-transaction``, so
a restore that fails leaves the target as it was. SQLite: the online backup API,
from the backup file into the target file. The target is never the database this
process runs on: replacing the live database is done with the portal stopped, by
the steps in docs/operations.md.
"""

from pathlib import Path
from typing import Any

import environ
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from ops.management.commands.backup import (
    describe,
    pg_connection,
    pg_run,
    pg_tool,
    sqlite_copy,
    sqlite_file,
)

# What each kind of backup file starts with.
POSTGRES_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def same_database(target: dict, live: dict) -> bool:
    """Whether ``target`` may be the live database; when unsure, say yes."""
    # By kind of database: the live one runs through audit.backends' subclass.
    if target["ENGINE"].rsplit(".", 1)[-1] != live["ENGINE"].rsplit(".", 1)[-1]:
        return False
    if target["ENGINE"].endswith("sqlite3"):
        return Path(str(target["NAME"])).resolve() == Path(str(live["NAME"])).resolve()

    def host(settings_dict: dict) -> str:
        name = str(settings_dict.get("HOST") or "")
        return "local" if name in LOCAL_HOSTS or name.startswith("/") else name

    def port(settings_dict: dict) -> str:
        return str(settings_dict.get("PORT") or 5432)

    return (target["NAME"], host(target), port(target)) == (live["NAME"], host(live), port(live))


class Command(BaseCommand):
    help = "Restore a backup (from manage.py backup) into another, fresh database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="a file written by manage.py backup")
        parser.add_argument(
            "--database-url",
            required=True,
            help="the database to restore into (postgres://... or sqlite:////path); "
            "never the live one",
        )

    def handle(self, *args: Any, **options: str) -> None:
        backup = Path(options["backup"])
        if not backup.is_file():
            raise CommandError(f"There is no backup file at {backup}.")
        with backup.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
        try:
            target = environ.Env.db_url_config(options["database_url"])
        except Exception as error:  # django-environ raises several kinds for a bad URL
            raise CommandError(f"--database-url is not a database URL: {error}") from None
        if same_database(target, connections["default"].settings_dict):
            raise CommandError(
                f"The target is the live database ({describe(target)}). Restore into a new "
                "database and check it first; to replace the live one, stop the portal and "
                "follow docs/operations.md."
            )
        engine = target["ENGINE"]
        if head.startswith(POSTGRES_MAGIC) and engine.endswith("postgresql"):
            conn_args, env = pg_connection(target)
            pg_run(
                [
                    pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *conn_args,
                    str(backup),
                ],
                env,
            )
            how = "pg_restore --clean --if-exists --no-owner --single-transaction"
        elif head == SQLITE_MAGIC and engine.endswith("sqlite3"):
            target_file = sqlite_file(target["NAME"], "target")
            if not target_file.parent.is_dir():
                raise CommandError(f"The folder {target_file.parent} does not exist.")
            sqlite_copy(backup, target_file)
            how = "the SQLite online backup API"
        else:
            if head.startswith(POSTGRES_MAGIC):
                kind = "a PostgreSQL backup"
            elif head == SQLITE_MAGIC:
                kind = "an SQLite backup"
            else:
                kind = "not a backup made by manage.py backup"
            raise CommandError(f"{backup} is {kind}; it cannot go into the {describe(target)}.")
        self.stdout.write(
            f"Restored {backup} into the {describe(target)} with {how}. Check it with "
            "`manage.py verify_audit` run with DATABASE_URL set to that database, and compare "
            "row counts (docs/operations.md)."
        )
