"""Export the incidents a filter selects, with the same bytes as the web export.

    manage.py export_incidents --format csv --query "incident_type=air_intercept" \\
        --output intercepts.csv --manifest intercepts.manifest.json

``--query`` takes the query string of an ``/incidents/`` URL. ``--table`` exports another
table (actors, locations, ...) with the admin's columns.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from incidents.export_file import FORMATS, ExportRefused, IncidentExport
from incidents.filters import IncidentFilter
from incidents.formats import CSV, JSON, XLSX
from incidents.incident_file import RESOURCES
from incidents.models import Incident

TABLE_FORMATS = {"csv": CSV, "xlsx": XLSX, "json": JSON}


class Command(BaseCommand):
    help = "Export the incidents a filter selects (or another table) as CSV, XLSX, JSON or GeoJSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", default="csv", choices=list(FORMATS))
        parser.add_argument(
            "--query",
            default="",
            help='The filter, as the query string of an /incidents/ page: "actor=VKS&km=55".',
        )
        parser.add_argument("--output", help="File to write (default: standard output).")
        parser.add_argument(
            "--manifest", help="Also write the export's manifest (JSON) to this file."
        )
        parser.add_argument(
            "--table",
            default="incidents",
            choices=list(RESOURCES),
            help="Export another table with the admin's columns (no --query).",
        )

    def handle(self, *args, **options):
        if options["table"] != "incidents":
            return self.export_table(options)
        query = options["query"].strip().lstrip("?")
        filterset = IncidentFilter(QueryDict(query), queryset=Incident.objects.all())
        try:
            export = IncidentExport(filterset, options["format"])
        except ExportRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.write(options["output"], export.chunks())
        if options["manifest"]:
            self.write(
                options["manifest"],
                [(json.dumps(export.manifest(), indent=2, ensure_ascii=False) + "\n").encode()],
            )
        where = options["output"] or "standard output"
        self.stderr.write(f"Wrote {export.rows} row(s) ({export.summary}) to {where}.")

    def export_table(self, options):
        if options["query"]:
            raise CommandError("--query filters incidents only; leave it out with --table.")
        if options["format"] not in TABLE_FORMATS:
            raise CommandError(f"--table {options['table']} exports csv, xlsx or json.")
        dataset = RESOURCES[options["table"]]().export()
        data = TABLE_FORMATS[options["format"]]().export_data(dataset)
        self.write(options["output"], [data.encode("utf-8") if isinstance(data, str) else data])
        self.stderr.write(
            f"Wrote {len(dataset)} row(s) to {options['output'] or 'standard output'}."
        )

    def write(self, path, chunks):
        """Write to a temporary file beside ``path`` and rename: never half a file."""
        if not path:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        target = Path(path)
        temporary = None
        try:
            with tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=f".{target.name}.", delete=False
            ) as handle:
                temporary = Path(handle.name)
                for chunk in chunks:
                    handle.write(chunk)
            umask = os.umask(0)
            os.umask(umask)
            temporary.chmod(0o666 & ~umask)
            os.replace(temporary, target)
        except BaseException as error:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise CommandError(f"Cannot write {path}: {error}") from None
            raise
