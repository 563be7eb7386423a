"""Back up the database, and optionally the uploaded files, with the standard tools.

    manage.py backup /backups/safeguard-2026-11-25.dump --media /backups/media-2026-11-25

PostgreSQL: ``pg_dump --format=custom``, one consistent snapshot, safe while the
portal runs. SQLite: Python's sqlite3 online backup API, also a consistent copy
while the portal runs (a plain ``cp`` of a live SQLite file is not). The database
is copied first and the uploaded files second, so every file the backup refers to
was already stored. The files are read through the storage API, so the same
command copies a bucket (STORAGE_URL) or the embedded default's folder.
``manage.py restore`` puts a backup into another database; docs/operations.md
has the whole procedure and the restore drill.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from common.stored_files import stored_names


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools "
            "(Debian: postgresql-client) of the server's major version or newer, or run "
            f"{name} where the server is (see docs/operations.md)."
        )
    return path


def pg_connection(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """libpq arguments for pg_dump/pg_restore; the password goes in the environment,
    never on the command line where ``ps`` would show it."""
    args = ["--dbname", str(settings_dict["NAME"])]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [option, str(settings_dict[key])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    if (settings_dict.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(settings_dict["OPTIONS"]["sslmode"])
    return args, env


def pg_run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(
            f"{Path(argv[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}"
        )


def sqlite_file(name: object, what: str) -> Path:
    text = str(name)
    if not text or text == ":memory:" or "mode=memory" in text:
        raise CommandError(f"The {what} is an in-memory SQLite database; there is no file to copy.")
    return Path(text)


def sqlite_copy(source: Path, target: Path) -> None:
    """The online backup API: a consistent copy even while others write to the source."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def describe(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"SQLite database {settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "local socket"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"PostgreSQL database {settings_dict['NAME']} on {host}{port}"


def media_copy(storage: Storage, target: Path) -> int:
    """Copy every stored file into the folder ``target`` (made here), under its
    stored name; how many were copied."""
    target.mkdir(parents=True)
    copied = 0
    for name in stored_names(storage):
        copy = target.joinpath(*name.split("/"))
        # Names come from the storage's own listing; never write outside the target.
        if not copy.resolve().is_relative_to(target.resolve()):
            raise CommandError(f"Refusing to copy {name!r} outside {target}.")
        copy.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, copy.open("xb") as written:
            shutil.copyfileobj(source, written)
        copied += 1
    return copied


class Command(BaseCommand):
    help = "Back up the database (pg_dump or the SQLite online backup API), and uploaded files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="the backup file to write; must not exist yet")
        parser.add_argument(
            "--media",
            metavar="DIR",
            help="also copy the uploaded files (folder or bucket) into DIR (must not exist yet)",
        )

    def handle(self, *args: Any, **options: str) -> None:
        output = Path(options["output"])
        media = Path(options["media"]) if options["media"] else None
        for path in (output, media):
            if path is not None and path.exists():
                raise CommandError(f"{path} already exists; give each backup a new name.")
        connection = connections["default"]
        settings_dict = connection.settings_dict
        partial = output.with_name(output.name + ".partial")
        partial.unlink(missing_ok=True)
        if connection.vendor == "postgresql":
            conn_args, env = pg_connection(settings_dict)
            pg_run([pg_tool("pg_dump"), "--format=custom", "--file", str(partial), *conn_args], env)
            how = "pg_dump --format=custom"
        elif connection.vendor == "sqlite":
            source = sqlite_file(settings_dict["NAME"], "live database")
            if not source.is_file():
                raise CommandError(f"There is no SQLite database at {source}.")
            sqlite_copy(source, partial)
            how = "the SQLite online backup API"
        else:
            raise CommandError(f"Backing up {connection.vendor} is not supported.")
        # Only a finished backup ever carries the name given.
        partial.replace(output)
        self.stdout.write(
            f"Backed up the {describe(settings_dict)} to {output} "
            f"({output.stat().st_size:,} bytes) with {how}."
        )
        if media is not None:
            files = media_copy(default_storage, media)
            self.stdout.write(f"Copied the uploaded files to {media} ({files} files).")
