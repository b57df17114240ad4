"""Import a CSV, XLSX or JSON file, checked by the same Resource as the admin.

Incidents stream through ``incidents.loader`` (bulk writes, history included); the other
tables go through the Resource's own import. Either way the file is checked as a whole and
row by row, and anything wrong means nothing is written (one transaction). ``--dry-run``
checks and reports without writing anything, history included.
"""

import sys
from contextlib import ExitStack
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.formats import CSV, JSON, XLSX
from incidents.incident_file import RESOURCES
from incidents.loader import IncidentLoader
from incidents.resources import ImportRefused

SHOWN = 100  # problems listed; the count says how many more there are
FORMATS_BY_SUFFIX = {".csv": CSV, ".xlsx": XLSX, ".json": JSON}


class Command(BaseCommand):
    help = "Import incidents (or another table, --table) from a CSV, XLSX or JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--table",
            default="incidents",
            choices=list(RESOURCES),
            help="Which table the file holds (default: incidents).",
        )
        parser.add_argument("--user", help="Username the changes are recorded under.")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            file_format = FORMATS_BY_SUFFIX[path.suffix.lower()]()
        except KeyError:
            raise CommandError(
                f"{path.name}: unknown file type; use .csv, .xlsx or .json."
            ) from None
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        if options["table"] == "incidents":
            problems, counts = self.load_incidents(path, file_format, user, options["dry_run"])
        else:
            problems, counts = self.load_table(path, file_format, user, options)
        if problems:
            for line, column, reason in problems[:SHOWN]:
                where = ", ".join(
                    p
                    for p in (f"line {line}" if line else "", f"column {column}" if column else "")
                    if p
                )
                self.stderr.write(f"{path.name}: {where + ': ' if where else ''}{reason}")
            if len(problems) > SHOWN:
                self.stderr.write(f"{path.name}: … and {len(problems) - SHOWN} more.")
            raise CommandError(f"{path.name}: {len(problems)} problem(s); nothing was imported.")
        rows, new, updated, unchanged = counts
        self.stdout.write(
            f"{path.name}: {rows} row(s): {new} new, {updated} updated, {unchanged} unchanged"
            + (" (dry run: nothing written)." if options["dry_run"] else ".")
        )

    def load_incidents(self, path, file_format, user, dry_run):
        """Incidents stream through the bulk loader: any size, in constant memory."""
        bar = self.progress_bar(None)
        if bar is not None:
            progress = bar.update
        elif self.verbosity >= 2:  # a log or a script follows the import line by line
            read = 0

            def progress(rows):
                nonlocal read
                read += rows
                self.stdout.write(f"{path.name}: {read} row(s) read")
                self.stdout.flush()

        else:
            progress = None
        loader = IncidentLoader(
            user=user, change_reason=f"import_incidents {path.name}", progress=progress
        )
        try:
            with ExitStack() as stack:
                if bar is not None:
                    stack.callback(bar.close)
                outcome = loader.load(*file_format.read_file(stack, path), dry_run=dry_run)
        except ImportRefused as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        return outcome.problems, (outcome.rows, outcome.new, outcome.updated, outcome.unchanged)

    def load_table(self, path, file_format, user, options):
        """The reference tables (hundreds of rows) go through the admin's Resource."""
        try:
            dataset = file_format.create_dataset(path.read_bytes())
        except ImportRefused as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        resource = RESOURCES[options["table"]]()
        bar = self.progress_bar(len(dataset))
        if bar is not None:
            resource.progress = lambda: bar.update(1)
        try:
            result = resource.import_data(
                dataset,
                dry_run=options["dry_run"],
                user=user,
                change_reason=f"import_incidents {path.name}",
            )
        finally:
            if bar is not None:
                bar.close()
        totals = result.totals
        return resource.describe_errors(result), (
            len(dataset),
            totals["new"],
            totals["update"],
            totals["skip"],
        )

    def progress_bar(self, total):
        if not sys.stderr.isatty() or (total is not None and total < 100):
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="row", file=sys.stderr, desc="importing")
