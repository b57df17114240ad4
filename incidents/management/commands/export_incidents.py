"""Export incidents (or another table) with the same columns as the admin and the web."""

import sys

from django.core.management.base import BaseCommand, CommandError

from incidents.formats import CSV, JSON, XLSX
from incidents.resources import RESOURCES

FORMATS = {"csv": CSV, "xlsx": XLSX, "json": JSON}


class Command(BaseCommand):
    help = "Export incidents (or another table, --table) as CSV, XLSX or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", default="csv", choices=list(FORMATS))
        parser.add_argument("--table", default="incidents", choices=list(RESOURCES))
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        file_format = FORMATS[options["format"]]()
        dataset = RESOURCES[options["table"]]().export()
        data = file_format.export_data(dataset)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if options["output"]:
            try:
                with open(options["output"], "wb") as handle:
                    handle.write(data)
            except OSError as error:
                raise CommandError(f"Cannot write {options['output']}: {error}") from None
            self.stderr.write(f"Wrote {len(dataset)} row(s) to {options['output']}.")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
