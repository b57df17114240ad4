"""6. Load: locust's users against gunicorn with 3 workers, as `make serve` runs it (the
users are bench/locustfile.py), then editors saving in the admin while an import runs.

The figures are locust's own: its CSV stats per page and its failures, every one of them
reported, with the answers of 500 or more counted from them.
"""

import csv
import itertools
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench import database as databases
from bench.database import BENCH_USER, gunicorn
from bench.forms import new_ref
from bench.harness import BIN, ROOT, manage
from bench.importfile import write_import_file
from bench.sections import admin

WORKERS = 3  # as `make serve`
# The locustfile words every failed answer "HTTP <status>" (bench/locustfile.py, failed()).
ANSWER = re.compile(r"HTTP (\d{3})")


def measure(bench, rows, seconds, users, import_rows, postgres_url=None):
    """The load figures on a fresh copy of a database of ``rows`` incidents (SQLite, or
    the PostgreSQL server at ``postgres_url``), so every run saves the same new refs."""
    if not bench.measures("locust", "locust (the load section)"):
        return None
    backend = "PostgreSQL" if postgres_url else "SQLite"
    print(f"Load on {backend}: {users} users for {seconds} s …", flush=True)
    names = databases.sqlite(bench, rows)  # the places and actors an import file names
    work = Path(tempfile.mkdtemp(prefix="bench-load-", dir=bench.folder))
    try:
        if postgres_url:
            database = databases.postgres_copy(bench, postgres_url, rows)
        else:
            database = names.copy(work / "load.sqlite3")
        figures = {"rows": rows} | locust(bench, database, work, seconds, users)
        if import_rows:
            print(f"Saves during an import on {backend} …", flush=True)
            figures["during_import"] = saves_during_import(
                bench, database, work, names.path, import_rows
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def locust(bench, database, work, seconds, users):
    """``users`` users for ``seconds``: analysts listing, filtering and opening incidents
    and the dashboard, one exporting a year at a time, two editors adding incidents."""
    prefix = work / "locust"
    log = work / "locust.log"
    server = gunicorn(bench, database, workers=WORKERS)
    try:
        with open(log, "wb") as handle:
            finished = subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(users),
                    "--spawn-rate",
                    "10",
                    "--run-time",
                    f"{seconds}s",
                    "--host",
                    f"http://127.0.0.1:{server.port}",
                    "--csv",
                    str(prefix),
                    "--only-summary",
                ],
                cwd=ROOT,
                # the locustfile fills the admin's form with bench.forms
                env=database.env
                | {"BENCH_SESSION": database.cookies["sessionid"], "PYTHONPATH": str(ROOT)},
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
            )
    finally:
        server.stop()
    stats = Path(f"{prefix}_stats.csv")
    # locust exits 1 when a request failed: the failures are figures, reported below.
    if finished.returncode not in (0, 1) or not stats.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"locust exited {finished.returncode}:\n{tail}")
    return {"users": users, "seconds": seconds} | read_stats(prefix)


def read_stats(prefix):
    """locust's CSV stats at ``prefix``: per page its requests, failures and p50 / p95
    (the "Aggregated" row for all of them), its failures as (page, error, occurrences), and
    how many of them were answers of 500 or more."""
    with open(f"{prefix}_stats.csv", newline="") as handle:
        pages = {
            row["Name"]: {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
            }
            for row in csv.DictReader(handle)
        }
    with open(f"{prefix}_failures.csv", newline="") as handle:
        failures = [
            (row["Name"], row["Error"], int(row["Occurrences"])) for row in csv.DictReader(handle)
        ]
    answers = {}
    for _, error, occurrences in failures:
        if status := ANSWER.search(error):
            answers[status[1]] = answers.get(status[1], 0) + occurrences
    return {
        "pages": pages,
        "failures": failures,
        "failed_answers": answers,
        "server_errors": sum(n for status, n in answers.items() if int(status) >= 500),
    }


def saves_during_import(bench, database, work, names_db, import_rows, editors=2):
    """While `import_incidents` writes ``import_rows`` new incidents (one transaction),
    ``editors`` editors keep adding incidents through the admin: how each save ended (saved,
    or 503 "busy, nothing saved") and how long it took."""
    csv_path = work / "load-import.csv"
    write_import_file(names_db, import_rows, csv_path)
    outcomes, lock, serial = [], threading.Lock(), itertools.count(1)
    imported = {}

    def importer():
        try:
            run = manage("import_incidents", str(csv_path), "--user", BENCH_USER, env=database.env)
            imported["seconds"] = run.seconds
        except RuntimeError as error:
            imported["error"] = str(error)

    def editor():
        client = server.client(database.cookies)
        while importing.is_alive():
            began = time.perf_counter()
            status = admin.add_incident(client, new_ref("LDI", next(serial)))
            with lock:
                outcomes.append((status, time.perf_counter() - began))
            time.sleep(1)  # an editor's pace, not a wait for anything

    server = gunicorn(bench, database, workers=WORKERS)
    try:
        importing = threading.Thread(target=importer)
        importing.start()
        threads = [threading.Thread(target=editor) for _ in range(editors)]
        for thread in threads:
            thread.start()
        importing.join()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    if "error" in imported:
        print(f"  the import under load failed: {imported['error']}", flush=True)
    saved = sorted(seconds for status, seconds in outcomes if status == 302)
    return {
        "import_rows": import_rows,
        "import_ok": "error" not in imported,
        "import_s": imported.get("seconds", 0.0),
        "saves": len(outcomes),
        "saved": len(saved),
        "busy_503": sum(1 for status, _ in outcomes if status == 503),
        "other": sorted({status for status, _ in outcomes} - {302, 503}),
        "saved_p50_ms": statistics.median(saved) * 1000 if saved else None,
        "saved_max_ms": saved[-1] * 1000 if saved else None,
    }
