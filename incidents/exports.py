"""Streamed exports of a filtered incident list: CSV, XLSX, JSON and GeoJSON.

Rows are read ``CHUNK_SIZE`` at a time with ``values_list``; each chunk costs one query
per related table (actors, aircraft, sources), whatever its length, and is written out
before the next is read, so memory stays flat from ten rows to a million. The columns
and their order are ``IncidentResource``'s: the admin export streams its rows from here too.

Every text cell goes through ``widgets.defuse``. An XLSX above ``EXPORT_XLSX_MAX_ROWS`` is
refused before any row is read, and each user runs one export at a time (``ExportSlot``).
"""

import csv
import datetime
import fcntl
import gc
import io
import json
import math
import os
import re
import threading
import weakref
import zipfile

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models.sql.constants import MULTI
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .cells import (
    aircraft_cell,
    incidents_url_prefix,
    role_cells,
    sources_cell,
    utc_timestamp,
)
from .models import IncidentActor, IncidentAircraft, IncidentSource
from .resources import SCHEMA_VERSION, IncidentResource
from .widgets import defuse

CHUNK_SIZE = 2000
EXPORT_COLUMNS = tuple(IncidentResource._meta.fields)
CONTRACT_COLUMNS = EXPORT_COLUMNS[:24]
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, the header row aside

BASE_FIELDS = (
    "pk",
    "ref",
    "title",
    "incident_type",
    "domain",
    "date_start",
    "date_end",
    "date_precision",
    "status",
    "risk_tier",
    "location__name",
    "location__latitude",
    "location__longitude",
    "location__admin1",
    "location__country",
    "deconfliction_channel_used",
    "fatalities_best",
    "summary",
    "updated_at",
    "location_precision",
    "us_safety",
    "us_professionalism",
    "fatalities_low",
    "fatalities_high",
)


LINK_SQL = "SELECT l.incident_id, {columns} FROM {link} l JOIN {other} o ON o.id = l.{fk}_id"


def _link_queries():
    """SQL for each chunk's related rows: written out, since the ORM's preparation of an
    ``IN`` list of a chunk's ids cost more than the query itself (profiled).
    Only table and column names from the models go into it; the ids are parameters."""
    queries = []
    for model, fk, columns in (
        (IncidentActor, "actor", "l.role, o.name"),
        (IncidentAircraft, "aircraft", "l.role, o.designation"),
        (IncidentSource, "source", "o.title, o.reliability, l.credibility"),
    ):
        sql = LINK_SQL.format(
            columns=columns,
            link=model._meta.db_table,
            other=model._meta.get_field(fk).related_model._meta.db_table,
            fk=fk,
        )
        queries.append(sql + " WHERE l.incident_id IN ({})")
    return queries


def _grouped(cursor, sql, ids):
    """{incident_id: sorted rows}; sorted in Python, as the admin's Resource sorts them,
    so that no database collation can put names in another order."""
    cursor.execute(sql.format(", ".join(["%s"] * len(ids))), ids)
    groups = {}
    for incident_id, *rest in cursor.fetchall():
        groups.setdefault(incident_id, []).append(tuple(rest))
    for rows in groups.values():
        rows.sort()
    return groups


#: the text cells a spreadsheet could run: defused (choice codes and numbers cannot start
#: with a formula character)
TEXT_COLUMNS = [
    EXPORT_COLUMNS.index(name)
    for name in (
        "ref",
        "title",
        "location",
        "admin1",
        "country",
        "initiators",
        "targets",
        "other_actors",
        "aircraft",
        "summary",
        "sources",
        "participants",
        "supporting",
        "mediators",
    )
]


def _row(values, actors, aircraft, citations, url_prefix):
    (
        _pk,
        ref,
        title,
        incident_type,
        domain,
        date_start,
        date_end,
        date_precision,
        status,
        risk_tier,
        location,
        latitude,
        longitude,
        admin1,
        country,
        channel,
        fatalities_best,
        summary,
        updated_at,
        location_precision,
        us_safety,
        us_professionalism,
        fatalities_low,
        fatalities_high,
    ) = values
    roles = role_cells(actors)
    row = [
        ref,
        title,
        incident_type,
        domain,
        _date(date_start),
        _date(date_end),
        date_precision,
        status,
        risk_tier,
        location or "",
        latitude,
        longitude,
        admin1 or "",
        country or "",
        roles["initiators"],
        roles["targets"],
        roles["other_actors"],
        aircraft_cell(designation for _, designation in aircraft),
        channel,
        fatalities_best,
        summary,
        sources_cell(citations),
        f"{url_prefix}{ref}/",
        _timestamp(updated_at),
        location_precision,
        us_safety,
        us_professionalism,
        fatalities_low,
        fatalities_high,
        roles["participants"],
        roles["supporting"],
        roles["mediators"],
    ]
    for i in TEXT_COLUMNS:
        row[i] = defuse(row[i])
    return row


def _date(value):
    """A date as the database driver gives it (SQLite: text) → ``datetime.date``."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _timestamp(value):
    """``updated_at`` as the export writes it: 2024-12-08T10:00:00Z (stored in UTC)."""
    if isinstance(value, str):  # SQLite's "YYYY-MM-DD HH:MM:SS[.ffffff]"
        return f"{value[:10]}T{value[11:19]}Z"
    return utc_timestamp(value)


def incident_rows(queryset, chunk_size=CHUNK_SIZE):
    """Lists of export rows (in ``EXPORT_COLUMNS`` order), in the queryset's order.

    Text cells are defused against formula execution; dates and numbers keep their type.
    Each chunk costs one query per related table, whatever its length. The rows come from
    the compiler as the driver gives them (``chunked_fetch``: a server-side cursor on
    PostgreSQL), without Django's per-value converters, which cost a third of the time.
    """
    url_prefix = incidents_url_prefix()
    queries = _link_queries()
    compiler = queryset.values_list(*BASE_FIELDS).query.get_compiler(queryset.db)
    chunks = compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=chunk_size)
    for chunk in chunks or ():
        ids = [row[0] for row in chunk]
        with connections[queryset.db].cursor() as cursor:
            actors, aircraft, citations = (_grouped(cursor, sql, ids) for sql in queries)
        yield [
            _row(
                row,
                actors.get(row[0], ()),
                aircraft.get(row[0], ()),
                citations.get(row[0], ()),
                url_prefix,
            )
            for row in chunk
        ]


# --- formats -------------------------------------------------------------------------


def _text(cell):
    if cell is None:
        return None
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    return cell


def csv_chunks(queryset):
    """Every field quoted: a reader that splits on ";" (Excel in much of Europe) or a tab
    keeps "Report;=1+1" in one quoted field instead of starting a cell at "=1+1"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue().encode("utf-8")
    for rows in incident_rows(queryset):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8")


def _json_object(row):
    return json.dumps(dict(zip(EXPORT_COLUMNS, map(_text, row), strict=True)), ensure_ascii=False)


def json_chunks(queryset):
    """A list of objects, one per line, as the JSON import reads it."""
    opened = False
    for rows in incident_rows(queryset):
        text = ",\n".join(_json_object(row) for row in rows)
        yield (("[\n" if not opened else ",\n") + text).encode("utf-8")
        opened = True
    yield ("\n]\n" if opened else "[]\n").encode("utf-8")


LATITUDE = EXPORT_COLUMNS.index("latitude")
LONGITUDE = EXPORT_COLUMNS.index("longitude")


def _feature(row):
    latitude, longitude = row[LATITUDE], row[LONGITUDE]
    geometry = None
    if latitude is not None and longitude is not None:
        geometry = {"type": "Point", "coordinates": [longitude, latitude]}
    properties = dict(zip(EXPORT_COLUMNS, map(_text, row), strict=True))
    return json.dumps(
        {"type": "Feature", "geometry": geometry, "properties": properties}, ensure_ascii=False
    )


def geojson_chunks(queryset):
    """An RFC 7946 FeatureCollection of points (WGS 84), one feature per incident.

    An incident without coordinates keeps its row, with a null geometry.
    """
    yield b'{"type": "FeatureCollection", "name": "incidents", "features": ['
    opened = False
    for rows in incident_rows(queryset):
        text = ",".join("\n" + _feature(row) for row in rows)
        yield (("," if opened else "") + text).encode("utf-8")
        opened = True
    yield b"\n]}\n"


# --- XLSX, written while it is sent ----------------------------------------------------
#
# A workbook is a zip of XML parts. The small parts are fixed; the sheet is written a chunk
# of rows at a time into a zip entry that is compressed and sent as it grows (zipfile puts
# the sizes in a data descriptor after an entry when its output cannot seek). So the first
# bytes leave before the second chunk is read, and memory stays flat. Strings are inline
# (t="inlineStr"): a shared-string table would have to be complete before the sheet.
# No ZIP64: Excel refuses the ZIP64 headers of a streamed entry, and a sheet at the row
# limit (EXPORT_XLSX_MAX_ROWS) stays far below the 2 GiB an entry may hold without them.

XLSX_DATE = datetime.date(1900, 3, 1)  # Excel's serial dates are right from here on
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_CELL_CHARS = 32_767  # longer text is cut there, as openpyxl and Excel cut it
# Characters XML 1.0 cannot hold, and text that looks like Excel's escape for them.
XML_ESCAPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
XML_BLANK = frozenset(" \t\r\n")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE_TYPE = "http://schemas.openxmlformats.org/package/2006"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XLSX_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{PACKAGE_TYPE}/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{CONTENT_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT_TYPE}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{PACKAGE_TYPE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIP}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{SPREADSHEET}" xmlns:r="{RELATIONSHIP}">'
        '<sheets><sheet name="incidents" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PACKAGE_TYPE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIP}/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIP}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Cell styles: 0 plain, 1 bold (the header), 2 a date as yyyy-mm-dd.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{SPREADSHEET}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
SHEET_PART = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    f'<worksheet xmlns="{SPREADSHEET}" xmlns:r="{RELATIONSHIP}">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews><sheetData>"
)
SHEET_TAIL = "</sheetData></worksheet>"
LETTERS = [chr(65 + i) if i < 26 else "A" + chr(65 + i - 26) for i in range(len(EXPORT_COLUMNS))]


def _excel_escape(match):
    text = match.group(0)
    return f"_x{ord(text):04X}_" if len(text) == 1 else "_x005F" + text


def _inline_string(ref, text, style=""):
    """A text cell: XML-escaped, a CR kept as &#13; (a parser reads a bare CR as LF)."""
    text = text[:EXCEL_CELL_CHARS]
    space = ' xml:space="preserve"' if text[0] in XML_BLANK or text[-1] in XML_BLANK else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if XML_ESCAPED.search(text):
        text = XML_ESCAPED.sub(_excel_escape, text)
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _sheet_row(number, row):
    cells = []
    for letter, value in zip(LETTERS, row, strict=True):
        if value is None or value == "":
            continue
        ref = f"{letter}{number}"
        if isinstance(value, str):
            cells.append(_inline_string(ref, value))
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
            cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        elif isinstance(value, datetime.date) and value >= XLSX_DATE:
            cells.append(f'<c r="{ref}" s="2"><v>{(value - EXCEL_EPOCH).days}</v></c>')
        else:  # a date Excel cannot count, an infinite number: kept as text
            cells.append(_inline_string(ref, str(_text(value))))
    if row[-1] is None or row[-1] == "":
        # The sheet has no <dimension> (its length is not known when it starts), so a
        # reader that sizes a row by its last cell (openpyxl read-only, the importer)
        # needs an empty cell in the last column.
        cells.append(f'<c r="{LETTERS[-1]}{number}"/>')
    return f'<row r="{number}">{"".join(cells)}</row>'


class Outbox:
    """A write-only, unseekable stream: what the zip has written since it was last taken."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _zip_entry(name):
    """Every entry carries one fixed time, so the same rows give the same bytes."""
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def xlsx_chunks(queryset):
    """One sheet, header row bold and frozen, dates typed as dates, numbers as numbers."""
    outbox = Outbox()
    with zipfile.ZipFile(outbox, "w", allowZip64=False) as archive:
        for name, xml in XLSX_PARTS.items():
            archive.writestr(_zip_entry(name), XML_DECLARATION + xml)
        with archive.open(_zip_entry(SHEET_PART), "w") as sheet:
            header = "".join(
                _inline_string(f"{letter}1", name, ' s="1"')
                for letter, name in zip(LETTERS, EXPORT_COLUMNS, strict=True)
            )
            sheet.write(f'{XML_DECLARATION}{SHEET_HEAD}<row r="1">{header}</row>'.encode())
            yield outbox.take()
            number = 1
            for rows in incident_rows(queryset):
                xml = []
                for row in rows:
                    number += 1
                    xml.append(_sheet_row(number, row))
                sheet.write("".join(xml).encode("utf-8"))
                if data := outbox.take():
                    yield data
            sheet.write(SHEET_TAIL.encode())
    yield outbox.take()


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


# --- one export per user at a time -----------------------------------------------------


class ExportBusy(Exception):
    """The user already has an export streaming: 429, try again when it is done."""

    def response(self):
        return HttpResponse(
            str(self),
            status=429,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "10"},
        )


BUSY = (
    "You already have an export running: wait for its download to finish (or cancel it), "
    "then try again. One export per person runs at a time."
)
#: the advisory lock's first key on PostgreSQL: this lock's namespace ("EXPT")
ADVISORY_NAMESPACE = 0x45585054
_held = set()  # (database, user id) of the slots this process holds
_held_guard = threading.Lock()
# Slots whose stream was collected without being closed. The collector may run in the
# middle of a query, holding the driver's lock on the connection, so it only lists them
# here; the next ``take`` gives them back.
_abandoned = []


class ExportSlot:
    """At most one export per user at a time, across every worker process.

    On PostgreSQL, which may serve web workers on several machines, the slot is a session
    advisory lock; on SQLite, whose database is one machine's file, an ``flock`` on a file
    under ``VAR_DIR/locks``. Both go when their holder dies, a killed worker included. A
    session lock can be taken again by its own session, so the slots this process holds
    are also kept in ``_held``: two exports that meet on one connection are refused too.

    A stream that no server closed (a test's response left unread) gives its slot back once
    it is collected; a second export that finds the slot held in this process collects
    garbage once before it is refused, so an abandoned stream never locks its user out.
    """

    def __init__(self, user, using="default"):
        self.key = (using, user.pk)
        self.connection = connections[using]
        self.handle = None
        self.held = False

    @classmethod
    def take(cls, user):
        """The user's slot, or ``ExportBusy`` when it is taken."""
        slot = cls(user)
        give_back_abandoned()
        if not slot.claim():
            gc.collect()
            give_back_abandoned()
            if not slot.claim():
                raise ExportBusy(BUSY)
        try:
            slot.held = slot.lock()
        finally:
            if not slot.held:
                with _held_guard:
                    _held.discard(slot.key)
        if not slot.held:
            raise ExportBusy(BUSY)
        return slot

    def claim(self):
        """The slot marked as held by this process, unless it already was."""
        with _held_guard:
            if self.key in _held:
                return False
            _held.add(self.key)
            return True

    def lock(self):
        user_id = self.key[1]
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(CAST(%s AS integer), CAST(%s AS integer))",
                    [ADVISORY_NAMESPACE, user_id],
                )
                return cursor.fetchone()[0]
        folder = settings.VAR_DIR / "locks"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid == os.getuid():
            folder.chmod(0o700)
        handle = os.open(folder / f"export-user-{user_id}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            return False
        self.handle = handle
        return True

    def release(self):
        """Give the slot back; a second call does nothing."""
        if not self.held:
            return
        self.held = False
        try:
            self.unlock()
        except DatabaseError:
            pass  # the session is gone, and its lock with it
        finally:
            with _held_guard:
                _held.discard(self.key)

    def unlock(self):
        if self.handle is not None:
            os.close(self.handle)  # closing the file drops its flock
            self.handle = None
        elif self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(CAST(%s AS integer), CAST(%s AS integer))",
                    [ADVISORY_NAMESPACE, self.key[1]],
                )


def abandon(slot):
    """The collector's callback for a stream never closed: a file closed, no lock taken and
    no query (see ``_abandoned``)."""
    if slot.handle is not None:
        os.close(slot.handle)  # another worker may take the slot at once
        slot.handle = None
    _abandoned.append(slot)


def give_back_abandoned():
    while _abandoned:
        _abandoned.pop().release()


class HeldStream:
    """An export's chunks holding the user's slot until they end, fail or are closed.

    The WSGI server closes a response when it is sent or its client has gone; Django
    calls ``close`` then, even on a stream that never started."""

    def __init__(self, chunks, slot):
        self.chunks = iter(chunks)
        self.slot = slot
        self.collected = weakref.finalize(self, abandon, slot)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self.chunks)
        except BaseException:
            self.close()
            raise

    def close(self):
        self.collected.detach()
        self.slot.release()
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


def held_by(user, chunks):
    """``chunks`` streamed in ``user``'s export slot (``ExportBusy`` when it is taken)."""
    return HeldStream(chunks, ExportSlot.take(user))
