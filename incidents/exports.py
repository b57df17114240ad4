"""Streamed exports of a filtered incident list: CSV, XLSX, JSON and GeoJSON.

Rows are read ``CHUNK_SIZE`` at a time with ``values_list``; each chunk costs one query
per related table (actors, aircraft, sources), whatever its length, and is written out
before the next is read, so memory stays flat from ten rows to a million. The columns
and their order are ``IncidentResource``'s: the admin export streams its rows from here too.

Every text cell goes through ``widgets.defuse``. The XLSX writer is ``xlsx.py``; one export
of a filter (format, name, manifest, limits) is ``export_file.py``; one export per user at a
time is ``export_slots.py``.
"""

import csv
import datetime
import io
import itertools
import json

from django.db import connections

from .cells import (
    aircraft_cell,
    incidents_url_prefix,
    role_cells,
    sources_cell,
    utc_timestamp,
)
from .models import IncidentActor, IncidentAircraft, IncidentSource
from .resources import IncidentResource
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
        date_start,
        date_end,
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
        utc_timestamp(updated_at),
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


def incident_rows(queryset, chunk_size=CHUNK_SIZE):
    """Lists of export rows (in ``EXPORT_COLUMNS`` order), in the queryset's order.

    Text cells are defused against formula execution; dates and numbers keep their type.
    The incidents are read by one query (a server-side cursor on PostgreSQL), and each
    chunk costs one query per related table, whatever its length.
    """
    url_prefix = incidents_url_prefix()
    queries = _link_queries()
    rows = queryset.values_list(*BASE_FIELDS).iterator(chunk_size=chunk_size)
    while chunk := list(itertools.islice(rows, chunk_size)):
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
