"""The CSV of new incidents every import the bench measures reads, and its columns.

The one list of the file's columns in the bench, until the project's own column table
can be pointed at from here.
"""

import csv
import sqlite3

IMPORT_COLUMNS = [
    "ref",
    "title",
    "incident_type",
    "domain",
    "date_start",
    "date_end",
    "date_precision",
    "status",
    "risk_tier",
    "location",
    "initiators",
    "targets",
    "summary",
]
# Columns naming actors through the incident's links: a default ModelResource has no field
# for them, so the django-import-export peer reads the file without them.
ACTOR_COLUMNS = ("initiators", "targets")


def write_import_file(path_db, rows, path):
    """A CSV of ``rows`` new incidents (refs BNC-year-serial) naming the actors and
    places of the SQLite database at ``path_db``, so that every name resolves."""
    connection = sqlite3.connect(path_db)
    try:
        actors = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM incidents_actor WHERE parent_id IS NOT NULL LIMIT 50"
            )
        ]
        places = [
            row[0] for row in connection.execute("SELECT name FROM incidents_location LIMIT 200")
        ]
    finally:
        connection.close()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, IMPORT_COLUMNS)
        writer.writeheader()
        for n in range(rows):
            writer.writerow(
                {
                    "ref": f"BNC-{2016 + n // 9999}-{n % 9999 + 1:04d}",
                    "title": f"Bench import {n}",
                    "incident_type": "air_intercept",
                    "domain": "air",
                    "date_start": "2021-05-04",
                    "date_end": "2021-05-04",
                    "date_precision": "day",
                    "status": "reported",
                    "risk_tier": "serious",
                    "location": places[n % len(places)],
                    "initiators": actors[n % len(actors)],
                    "targets": actors[(n + 7) % len(actors)],
                    "summary": "Imported by the benchmark.",
                }
            )
