"""2. The list page, facets included, unfiltered and with one and three filters, beside
Datasette's faceted table page; and 3. the admin changelist (bench.sections.admin), on the
same server."""

from bench.database import gunicorn
from bench.harness import timed_gets
from bench.peers import datasette
from bench.sections import admin

LIST_URL = "/incidents/"
LIST_QUERIES = {
    "unfiltered": "",
    "one selective filter": (
        "incident_type=negotiation&date_after=2020-01-01&date_before=2020-12-31"
    ),
    "three filters": "incident_type=air_intercept&status=confirmed&risk_tier=serious",
}


def measure(bench, database):
    count = bench.runs * 3  # latencies want more samples than throughputs
    results = {"list": {}, "admin": {}, "datasette": {}}
    server = gunicorn(bench, database)
    try:
        client = server.client(database.cookies)
        for name, query in LIST_QUERIES.items():
            results["list"][name] = timed_gets(client, f"{LIST_URL}?{query}", count)
        results["admin"] = admin.changelist(client, count)
    finally:
        server.stop()
    if database.path is None:
        return results
    if not bench.measures("datasette", "Datasette"):
        return results
    server = datasette.serve(bench, database.path)
    try:
        client = server.client()
        for name, query in datasette.QUERIES.items():
            path = datasette.table_path(database.path, query)
            results["datasette"][name] = timed_gets(client, path, count)
    finally:
        server.stop()
    return results
