"""5. The export and page figures again on PostgreSQL, when DATABASE_URL names a server:
the same generated rows, the same requests (the first run generates the rows there)."""

from bench import database as databases
from bench.sections import exports, pages


def measure(bench, url, rows):
    database = databases.postgres(bench, url, rows)
    return {"export": exports.measure(bench, database), "pages": pages.measure(bench, database)}
