"""Datasette serving the same SQLite file: its streamed CSV and its faceted table page."""

from bench.harness import BIN, Server, free_port

FACETS = "&_facet=incident_type&_facet=status&_facet=risk_tier"
# The list page's filters (bench.sections.pages.LIST_QUERIES), as Datasette spells them.
QUERIES = {
    "unfiltered": FACETS.lstrip("&"),
    "one selective filter": "incident_type=negotiation&date_start__gte=2020-01-01"
    "&date_start__lte=2020-12-31" + FACETS,
    "three filters": "incident_type=air_intercept&status=confirmed&risk_tier=serious" + FACETS,
}
# A full export may take minutes: let its query run, on one thread as our one worker does.
EXPORT_SETTINGS = {"sql_time_limit_ms": "600000", "num_sql_threads": "1"}


def serve(bench, path_db, settings=None):
    port = free_port()
    command = [str(BIN / "datasette"), "serve", str(path_db), "--port", str(port)]
    for name, value in (settings or {}).items():
        command += ["--setting", name, value]
    return Server(command, bench.env, port, bench.log)


def export_path(path_db):
    """The table as CSV with the places' names (labels), streamed whole."""
    return f"/{path_db.stem}/incidents_incident.csv?_stream=on&_labels=on&_size=max"


def table_path(path_db, query):
    return f"/{path_db.stem}/incidents_incident?{query}"
