"""1. The full CSV export through the web view, beside Datasette's streamed CSV of the same
table with labels and the standard library's sqlite3 + csv loop over the same rows."""

import statistics

from bench.database import gunicorn
from bench.harness import median_of, stream
from bench.peers import datasette, stdlib_csv

EXPORT_URL = "/incidents/export.csv"


def measure(bench, database):
    results = {"ours": ours(bench, database)}
    if database.path is None:
        return results  # the peers read SQLite files
    if bench.measures("datasette", "Datasette"):
        results["datasette"] = peer_datasette(bench, database.path)
    speeds = [stdlib_csv.rows_per_s(database.path) for _ in range(bench.runs)]
    results["stdlib"] = {"rows_per_s": statistics.median(speeds)}
    return results


def ours(bench, database):
    figures = []
    for _ in range(bench.runs):
        server = gunicorn(bench, database)  # a fresh worker per run: its peak is this export's
        try:
            first, total, size, _, response = stream(server.client(database.cookies), EXPORT_URL)
            rows = int(response.getheader("X-Export-Rows"))
            figures.append(
                {
                    "rows": rows,
                    "rows_per_s": rows / total,
                    "first_byte_s": first,
                    "mb": size / 1e6,
                    "peak_rss_mib": server.peak_rss_mib(),
                }
            )
        finally:
            server.stop()
    return {
        "rows": figures[0]["rows"],
        "rows_per_s": median_of(figures, "rows_per_s"),
        "first_byte_s": median_of(figures, "first_byte_s"),
        "mb": figures[0]["mb"],
        "peak_rss_mib": max(figure["peak_rss_mib"] for figure in figures),
    }


def peer_datasette(bench, path_db):
    server = datasette.serve(bench, path_db, datasette.EXPORT_SETTINGS)
    figures = []
    try:
        for _ in range(bench.runs):
            first, total, size, lines, _ = stream(
                server.client(), datasette.export_path(path_db), count_lines=True
            )
            # Generated cells hold no line breaks, so a line is a row. Datasette may end a
            # stream early (it has, on large tables): its rate is of the rows it sent.
            sent = lines - 1
            figures.append(
                {
                    "rows_per_s": sent / total,
                    "first_byte_s": first,
                    "mb": size / 1e6,
                    "peak_rss_mib": server.peak_rss_mib(),
                    "rows_sent": sent,
                }
            )
    finally:
        server.stop()
    return {
        "rows_per_s": median_of(figures, "rows_per_s"),
        "first_byte_s": median_of(figures, "first_byte_s"),
        "mb": figures[0]["mb"],
        "peak_rss_mib": max(figure["peak_rss_mib"] for figure in figures),
        "rows_sent": min(figure["rows_sent"] for figure in figures),
    }
