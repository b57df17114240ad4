"""Import a CSV, XLSX or JSON file through the same Resource as the admin.

The file is checked as a whole, then row by row; anything wrong and nothing is written
(one transaction). ``--dry-run`` checks and reports without writing anything, history
included.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.formats import CSV, JSON, XLSX
from incidents.resources import RESOURCES, ImportRefused

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

        problems = resource.describe_errors(result)
        if problems:
            for line, column, reason in problems[:SHOWN]:
                where = ", ".join(
                    p
                    for p in (f"line {line}" if line else "", f"column {column}" if column else "")
                    if p
                )
                self.stderr.write(f"{path.name}: {where + ': ' if where else ''}{reason}")
            raise CommandError(f"{path.name}: {len(problems)} problem(s); nothing was imported.")
        totals = result.totals
        self.stdout.write(
            f"{path.name}: {len(dataset)} row(s): {totals['new']} new, {totals['update']} "
            f"updated, {totals['skip']} unchanged"
            + (" (dry run: nothing written)." if options["dry_run"] else ".")
        )

    def progress_bar(self, total):
        if not sys.stderr.isatty() or total < 100:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="row", file=sys.stderr, desc="importing")
