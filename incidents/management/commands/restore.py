"""Bring back a copy written by ``backup``: the database becomes what it was then.

    manage.py restore var/backups/incidents-2026-11-22.sqlite3 --noinput

Everything written since the backup is replaced, so the command asks first (``--noinput``
for scripts). The file is checked before anything is touched: a file that is not a
backup of this project's database is refused and the database stays as it is. SQLite is
restored with the online backup API (one transaction: readers see the old or the new
database, never a mix); PostgreSQL with ``pg_restore --clean --single-transaction``.
Stop the site first, or expect its users' edits since the backup to go.
"""

import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from incidents.apps import keep_database_private

from .backup import integrity_problems, pg_environment, run_tool

PG_DUMP_MAGIC = b"PGDMP"


class Command(BaseCommand):
    help = "Replace the database with a copy written by `backup`."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--noinput", "--no-input", action="store_true", help="Do not ask to confirm."
        )

    def handle(self, *args, file, database, noinput, **options):
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"No backup file at {source}.")
        connection = connections[database]
        if not noinput:
            answer = input(
                f"Replace the {connection.vendor} database with {source}? Everything "
                "written since that backup will be lost. Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        connection.close()
        if connection.vendor == "sqlite":
            problems = integrity_problems(source)
            if problems:
                raise CommandError(
                    f"{source} is not a sound backup: {'; '.join(problems[:5])}. "
                    "Nothing was changed."
                )
            backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            live = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
            try:
                backup.backup(live)
            finally:
                live.close()
                backup.close()
            keep_database_private(None, connection)
        elif connection.vendor == "postgresql":
            with open(source, "rb") as handle:
                if handle.read(5) != PG_DUMP_MAGIC:
                    raise CommandError(
                        f"{source} is not a pg_dump custom-format file. Nothing was changed."
                    )
            run_tool(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={connection.settings_dict['NAME']}",
                    str(source),
                ],
                pg_environment(connection.settings_dict),
            )
        else:
            raise CommandError(f"No restore for a {connection.vendor} database.")
        self.stdout.write(f"Restored the {connection.vendor} database from {source}.")
