"""One export of a filter: its format, its rows, its file name and its manifest."""

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .cells import utc_timestamp
from .exports import EXPORT_COLUMNS, XLSX_MAX_ROWS, csv_chunks, geojson_chunks, json_chunks
from .resources import SCHEMA_VERSION
from .xlsx import xlsx_chunks

FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_chunks),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_chunks),
    "json": ("application/json; charset=utf-8", json_chunks),
    "geojson": ("application/geo+json; charset=utf-8", geojson_chunks),
}


class ExportRefused(Exception):
    """The export cannot be made as asked (a filter is invalid, too many rows for XLSX)."""


def export_url(file_format, query=""):
    """The list export's URL for a filter's query string: /incidents/export.csv?..."""
    url = reverse("incidents:export", args=[file_format])
    return f"{url}?{query}" if query else url


def refuse_long_xlsx(rows, csv_url):
    """XLSX is written cell by cell and opened whole by a spreadsheet, so its rows are capped
    (``EXPORT_XLSX_MAX_ROWS``, and Excel's own sheet limit); CSV streams without one."""
    limit = min(settings.EXPORT_XLSX_MAX_ROWS, XLSX_MAX_ROWS)
    if rows > limit:
        raise ExportRefused(
            f"{rows:,} rows are more than an XLSX export holds ({limit:,} at most), so "
            f"nothing was exported: narrow the filter, or export CSV, which has no row "
            f"limit: {csv_url}"
        )


class IncidentExport:
    """One export of a filter: its rows, its bytes, its file name and its manifest."""

    def __init__(self, filterset, file_format):
        if file_format not in FORMATS:
            raise ExportRefused(
                f"Unknown export format “{file_format[:20]}”: use {', '.join(FORMATS)}."
            )
        if not filterset.is_valid():
            raise ExportRefused(
                "The filter is invalid, so nothing was exported:\n"
                + "\n".join(filterset.error_list())
            )
        self.filterset = filterset
        self.format = file_format
        self.content_type, self.writer = FORMATS[file_format]
        self.queryset = filterset.qs
        self.rows = self.queryset.count()
        if file_format == "xlsx":
            refuse_long_xlsx(self.rows, export_url("csv", filterset.querystring()))
        self.summary = filterset.summary(self.rows)
        self.generated_at = timezone.now()

    @property
    def filename(self):
        words = self.summary.split(" ", 1)[1] if " " in self.summary else self.summary
        slug = slugify(words)[:120].rstrip("-") or "incidents"
        return f"{slug}.{self.format}"

    def manifest(self):
        """What an analyst needs to say later exactly what they shared."""
        return {
            "schema_version": SCHEMA_VERSION,
            "format": self.format,
            "query": self.filterset.querystring(),
            "filter": self.filterset.params(),
            "summary": self.summary,
            "rows": self.rows,
            "columns": list(EXPORT_COLUMNS),
            "generated_at": utc_timestamp(self.generated_at),
            "filename": self.filename,
        }

    def manifest_header(self):
        """The manifest as one line of ASCII JSON, fit for an HTTP header."""
        return json.dumps(self.manifest(), ensure_ascii=True, separators=(",", ":"))

    def chunks(self):
        return self.writer(self.queryset)
