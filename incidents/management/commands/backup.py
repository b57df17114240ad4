"""Write a consistent copy of the database while the site runs.

    manage.py backup var/backups/incidents-2026-11-22.sqlite3
    manage.py backup /srv/backups/incidents-2026-11-22.dump      (PostgreSQL)

SQLite: the online backup API copies a snapshot of one moment (writers carry on; the
copy holds every transaction committed before it began and none after), then
``PRAGMA integrity_check`` reads it back. PostgreSQL: ``pg_dump --format=custom``, also a
single snapshot. Either way the copy is written beside its destination and renamed, so a
failed or interrupted backup never leaves half a file under the name. ``restore`` brings
one back.
"""

import os
import re
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections


def pg_environment(settings_dict):
    """libpq's variables for the configured database (the password never on a command line)."""
    env = dict(os.environ)
    for key, name in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[name] = str(settings_dict[key])
    return env


def run_tool(command, env):
    try:
        result = subprocess.run(  # noqa: S603 (a fixed tool; the file name is an argument)
            command, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise CommandError(
            f"{command[0]} is not installed: install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)."
        ) from None
    if result.returncode:
        raise CommandError(f"{command[0]} failed: {result.stderr.strip()}")


def regexp(pattern, value):
    """SQL REGEXP, as Django provides it: the check constraints on refs call it."""
    return value is not None and re.search(pattern, str(value)) is not None


def integrity_check(path):
    """PRAGMA integrity_check's lines for a SQLite file: ["ok"] when it is sound."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)) as db:
        db.create_function("REGEXP", 2, regexp, deterministic=True)
        rows = [row[0] for row in db.execute("PRAGMA integrity_check")]
        db.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
    return rows


def integrity_problems(path):
    """What is wrong with a SQLite file as a copy of this database (empty when nothing)."""
    try:
        rows = integrity_check(path)
    except sqlite3.DatabaseError as error:
        return [f"not a database of this project ({error})"]
    return [] if rows == ["ok"] else rows


class Command(BaseCommand):
    help = "Write a consistent copy of the database (SQLite or PostgreSQL) to FILE."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file, database, **options):
        destination = Path(file).resolve()
        if destination.is_dir():
            raise CommandError(f"{destination} is a folder; name the backup file.")
        destination.parent.mkdir(parents=True, exist_ok=True)
        connection = connections[database]
        fd, temporary = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
        )
        os.close(fd)
        temporary = Path(temporary)
        try:
            if connection.vendor == "sqlite":
                self.sqlite_backup(connection.settings_dict["NAME"], temporary)
            elif connection.vendor == "postgresql":
                run_tool(
                    ["pg_dump", "--format=custom", "--no-owner", f"--file={temporary}"],
                    pg_environment(connection.settings_dict),
                )
            else:
                raise CommandError(f"No backup for a {connection.vendor} database.")
            temporary.replace(destination)
        finally:
            temporary.unlink(missing_ok=True)
        size = destination.stat().st_size
        self.stdout.write(
            f"Backed up the {connection.vendor} database to {destination} ({size:,} bytes)."
        )

    @staticmethod
    def sqlite_backup(source_path, temporary):
        source = sqlite3.connect(source_path, timeout=20)
        target = sqlite3.connect(temporary)
        try:
            source.backup(target)  # all pages in one step: one snapshot
        finally:
            target.close()
            source.close()
        problems = integrity_problems(temporary)
        if problems:
            raise CommandError("The copy failed its integrity check: " + "; ".join(problems[:5]))
