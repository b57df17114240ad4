"""`make bench`: a million incidents, measured beside their peers in the same run.

Builds (or reuses) var/bench/incidents-<rows>.sqlite3 with `generate_incidents`, serves it
with gunicorn, and measures, each figure a median over --runs runs:

1. the full CSV export through the web view (rows/s, first byte, the worker's peak memory)
   beside Datasette's streamed CSV of the same table with labels and the stdlib
   sqlite3 + csv loop over the same rows;
2. list page latency (p50, p95) unfiltered, with one selective filter and with three,
   facets included, beside Datasette's faceted table page;
3. the admin changelist with its filters and date navigation;
4. `import_incidents` of 10,000 and 100,000 new rows (history written; rows/s and peak
   memory) and the admin's preview-and-confirm of 5,000, beside django-import-export's
   defaults on the 10,000-row file;
5. the list and export figures on PostgreSQL when DATABASE_URL points at one;
6. load: 50 locust users for 2 minutes against gunicorn with 3 workers on a database of
   --load-rows incidents (SQLite, and PostgreSQL too when DATABASE_URL points at one), then
   editors saving in the admin while an import of --load-import-rows rows runs.

Prints a table and writes the figures to var/bench/results.json (--output).
"""

import argparse
import csv
import http.client
import io
import itertools
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
BENCH = ROOT / "var" / "bench"
LIST_QUERIES = {
    "unfiltered": "",
    "one selective filter": (
        "incident_type=negotiation&date_after=2020-01-01&date_before=2020-12-31"
    ),
    "three filters": "incident_type=air_intercept&status=confirmed&risk_tier=serious",
}
DATASETTE_QUERIES = {
    "unfiltered": "_facet=incident_type&_facet=status&_facet=risk_tier",
    "one selective filter": "incident_type=negotiation&date_start__gte=2020-01-01"
    "&date_start__lte=2020-12-31&_facet=incident_type&_facet=status&_facet=risk_tier",
    "three filters": "incident_type=air_intercept&status=confirmed&risk_tier=serious"
    "&_facet=incident_type&_facet=status&_facet=risk_tier",
}
ADMIN_QUERIES = {
    "unfiltered": "",
    "type + year": "incident_type__exact=air_intercept&year=2020",
    "date navigation (month)": "date_start__year=2020&date_start__month=6",
}


def manage(*args, env, capture=False):
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )
    return result.stdout if capture else None


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A process serving HTTP on loopback, with its children's peak memory."""

    def __init__(self, command, env, port):
        self.port = port
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(300):
            try:
                self.request("GET", "/", read=True)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{command[0]} did not start on port {port}")

    def request(self, method, path, headers=None, read=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        if read:
            response.read()
            connection.close()
        return response

    def peak_rss_mib(self):
        """The largest VmHWM of the server and its workers (their peak resident memory)."""
        peak = 0
        for process in [
            psutil.Process(self.process.pid),
            *psutil.Process(self.process.pid).children(recursive=True),
        ]:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        return peak

    def stop(self):
        """Ask the server to finish (gunicorn lets the requests under way end), then make
        it: under load a queue of slow requests may outlast the patience of a benchmark."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                child.kill()
            self.process.kill()
            self.process.wait()


def stream(server, path, headers=None, count_lines=False):
    """(seconds to the first byte, seconds in all, bytes, response) of one streamed GET."""
    started = time.perf_counter()
    response = server.request("GET", path, headers=headers, read=False)
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    while block := response.read(1 << 20):
        size += len(block)
        lines += block.count(b"\n") if count_lines else 0
    return first_byte, time.perf_counter() - started, size, lines if count_lines else response


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_gets(server, path, headers, count):
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = server.request("GET", path, headers=headers)
        times.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
    return {"p50_ms": statistics.median(times) * 1000, "p95_ms": percentile(times, 0.95) * 1000}


# --- the database ---------------------------------------------------------------------


def build(rows, env):
    path = BENCH / f"incidents-{rows}.sqlite3"
    env = {**env, "DATABASE_URL": f"sqlite:///{path}"}
    marker = path.with_suffix(".complete")
    if not marker.exists():
        for stale in BENCH.glob(f"{path.name}*"):
            stale.unlink()
        print(f"Building {path} with {rows:,} generated incidents …", flush=True)
        started = time.perf_counter()
        manage("migrate", "--noinput", "-v0", env=env)
        manage("generate_incidents", "--count", str(rows), "--seed", "1", env=env)
        marker.write_text(f"{time.perf_counter() - started:.0f}")
    return path, env, session_cookie(env), float(marker.read_text())


def session_cookie(env):
    """A logged-in session of the superuser "bench" in the database ``env`` names."""
    session = (
        manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.sessions.backends.db import SessionStore\n"
            "User = get_user_model()\n"
            "user = User.objects.filter(username='bench').first() or "
            "User.objects.create_superuser('bench', None, None)\n"
            "s = SessionStore()\n"
            "s['_auth_user_id'] = str(user.pk)\n"
            "s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'\n"
            "s['_auth_user_hash'] = user.get_session_auth_hash()\n"
            "s.create()\n"
            "print(s.session_key)",
            env=env,
            capture=True,
        )
        .strip()
        .splitlines()[-1]
    )
    return {"Cookie": f"sessionid={session}"}


def gunicorn(env, workers=1):
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "900",
    ]
    return Server(command, {**env, "DEBUG": "1"}, port)


# --- measurements ---------------------------------------------------------------------


def measure_exports(env, cookie, runs, path_db):
    results = {}
    figures = []
    for _ in range(runs):
        server = gunicorn(env)  # a fresh worker per run: its peak memory is this export's
        try:
            first, total, size, response = stream(server, "/incidents/export.csv", cookie)
            rows = int(response.getheader("X-Export-Rows"))
            figures.append((rows / total, first, size, server.peak_rss_mib()))
        finally:
            server.stop()
    results["ours"] = {
        "rows": rows,
        "rows_per_s": statistics.median(f[0] for f in figures),
        "first_byte_s": statistics.median(f[1] for f in figures),
        "mb": figures[0][2] / 1e6,
        "peak_rss_mib": max(f[3] for f in figures),
    }
    if path_db is None:
        return results

    port = free_port()
    datasette = Server(
        [
            str(BIN / "datasette"),
            "serve",
            str(path_db),
            "--port",
            str(port),
            "--setting",
            "sql_time_limit_ms",
            "600000",
            "--setting",
            "num_sql_threads",
            "1",
        ],
        env,
        port,
    )
    try:
        figures = []
        name = path_db.stem
        for _ in range(runs):
            first, total, size, lines = stream(
                datasette,
                f"/{name}/incidents_incident.csv?_stream=on&_labels=on&_size=max",
                count_lines=True,
            )
            # generated cells hold no line breaks: a line is a row. Datasette may end a
            # stream early (at 1M rows it stopped near 372,000): its rate is of what it sent.
            sent = lines - 1
            figures.append((sent / total, first, size, datasette.peak_rss_mib(), sent))
        results["datasette"] = {
            "rows_per_s": statistics.median(f[0] for f in figures),
            "first_byte_s": statistics.median(f[1] for f in figures),
            "mb": figures[0][2] / 1e6,
            "peak_rss_mib": max(f[3] for f in figures),
            "rows_sent": min(f[4] for f in figures),
        }
    finally:
        datasette.stop()

    speeds = []
    for _ in range(runs):
        started = time.perf_counter()
        connection = sqlite3.connect(path_db)
        writer = csv.writer(io.StringIO())
        count = 0
        for row in connection.execute(
            "SELECT i.*, l.name FROM incidents_incident i "
            "LEFT JOIN incidents_location l ON l.id = i.location_id"
        ):
            writer.writerow(row)
            count += 1
        connection.close()
        speeds.append(count / (time.perf_counter() - started))
    results["stdlib"] = {"rows_per_s": statistics.median(speeds)}
    return results


def measure_pages(env, cookie, runs, path_db):
    results = {"list": {}, "admin": {}, "datasette": {}}
    server = gunicorn(env)
    try:
        for name, query in LIST_QUERIES.items():
            server.request("GET", f"/incidents/?{query}", cookie)  # warm
            results["list"][name] = timed_gets(server, f"/incidents/?{query}", cookie, runs * 3)
        for name, query in ADMIN_QUERIES.items():
            server.request("GET", f"/admin/incidents/incident/?{query}", cookie)
            results["admin"][name] = timed_gets(
                server, f"/admin/incidents/incident/?{query}", cookie, runs * 3
            )
    finally:
        server.stop()
    if path_db is None:
        return results
    port = free_port()
    datasette = Server(
        [str(BIN / "datasette"), "serve", str(path_db), "--port", str(port)], env, port
    )
    try:
        for name, query in DATASETTE_QUERIES.items():
            path = f"/{path_db.stem}/incidents_incident?{query}"
            datasette.request("GET", path)
            results["datasette"][name] = timed_gets(datasette, path, {}, runs * 3)
    finally:
        datasette.stop()
    return results


def load_database(env, rows, postgres_url):
    """(env, cookie, work dir) of a fresh database of ``rows`` incidents for the load test,
    so every run saves and imports the same new refs: a copy of the SQLite file, or on the
    PostgreSQL server ``<name>_load`` made anew from the template ``<name>_load_base``
    (generated once)."""
    work = Path(tempfile.mkdtemp(prefix="bench-load-", dir=BENCH))
    if not postgres_url:
        source, _, _, _ = build(rows, env)
        copy = work / "load.sqlite3"
        shutil.copyfile(source, copy)
        load_env = {**env, "DATABASE_URL": f"sqlite:///{copy}"}
        return load_env, session_cookie(load_env), work
    import psycopg

    url = urllib.parse.urlsplit(postgres_url)
    name = f"{url.path.lstrip('/')}_load"
    base = f"{name}_base"

    def database_url(database):
        return urllib.parse.urlunsplit(url._replace(path=f"/{database}"))

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [base]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{base}"')
    postgres_build({**env, "DATABASE_URL": database_url(base)}, rows)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
    load_env = {**env, "DATABASE_URL": database_url(name)}
    return load_env, session_cookie(load_env), work


def measure_load(env, cookie, work, seconds, users):
    """``users`` users for ``seconds`` against gunicorn with 3 workers, as `make serve`:
    analysts listing, filtering and opening incidents and the dashboard, one exporting a
    year at a time, two editors adding incidents in the admin."""
    server = gunicorn(env, workers=3)
    prefix = work / "locust"
    try:
        subprocess.run(
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
                "--loglevel",
                "ERROR",
            ],
            cwd=ROOT,
            env={**env, "BENCH_COOKIE": cookie["Cookie"]},
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        server.stop()
    with open(f"{prefix}_stats.csv", newline="") as handle:
        stats = {
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
    return {
        "users": users,
        "seconds": seconds,
        "pages": stats,
        "failures": failures,
        "server_errors": sum(n for _, error, n in failures if re.search(r"\b5\d\d\b", error)),
    }


def measure_saves_during_import(env, cookie, work, names_db, import_rows, editors=2):
    """While ``import_incidents`` writes ``import_rows`` new incidents (one transaction),
    ``editors`` editors keep adding incidents through the admin: how each save ended (saved,
    or 503 "busy, nothing saved") and how long it took."""
    import httpx

    csv_path = work / "load-import.csv"
    import_file(names_db, import_rows, csv_path)
    server = gunicorn(env, workers=3)
    outcomes, lock = [], threading.Lock()
    serial = itertools.count(1)
    try:
        importer = subprocess.Popen(
            [PYTHON, "manage.py", "import_incidents", str(csv_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        started = time.perf_counter()

        def editor():
            with httpx.Client(
                base_url=f"http://127.0.0.1:{server.port}",
                cookies={"sessionid": cookie["Cookie"].split("=", 1)[1]},
                timeout=900,
            ) as client:
                while importer.poll() is None:
                    number = next(serial)
                    ref = f"LDI-{2000 + number // 9999}-{number % 9999 + 1:04d}"
                    began = time.perf_counter()
                    status = admin_add(client, ref)
                    with lock:
                        outcomes.append((status, time.perf_counter() - began))
                    time.sleep(1)

        threads = [threading.Thread(target=editor) for _ in range(editors)]
        for thread in threads:
            thread.start()
        importer.wait(timeout=1800)
        import_s = time.perf_counter() - started
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    saved = sorted(seconds for status, seconds in outcomes if status == 302)
    busy = [seconds for status, seconds in outcomes if status == 503]
    return {
        "import_rows": import_rows,
        "import_ok": importer.returncode == 0,
        "import_s": import_s,
        "saves": len(outcomes),
        "saved": len(saved),
        "busy_503": len(busy),
        "other": sorted({status for status, _ in outcomes} - {302, 503}),
        "saved_p50_ms": statistics.median(saved) * 1000 if saved else None,
        "saved_max_ms": saved[-1] * 1000 if saved else None,
    }


def admin_add(client, ref):
    """The status of one incident added through the admin's form (302 when saved)."""
    url = "/admin/incidents/incident/add/"
    page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        return page.status_code
    data = {**ADMIN_ADD, "csrfmiddlewaretoken": token[1], "ref": ref}
    for prefix in ("incident_actors", "incident_aircraft", "incident_sources"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return client.post(url, data=data, headers={"Referer": str(client.base_url) + url}).status_code


ADMIN_ADD = {
    "title": "Added during an import",
    "incident_type": "air_intercept",
    "domain": "air",
    "date_start": "2024-02-03",
    "date_end": "2024-02-03",
    "date_precision": "day",
    "location_precision": "exact",
    "status": "reported",
    "risk_tier": "not_assessed",
    "us_safety": "unknown",
    "us_professionalism": "unknown",
    "deconfliction_channel_used": "unknown",
}


def postgres_build(env, rows):
    """The PostgreSQL database DATABASE_URL names, migrated and holding ``rows`` generated
    incidents (made once; generate_incidents refuses a second set)."""
    manage("migrate", "--noinput", "-v0", env=env)
    count = manage(
        "shell",
        "-c",
        "from incidents.models import Incident\n"
        "print(Incident.objects.filter(ref__startswith='G').count())",
        env=env,
        capture=True,
    )
    if int(count.strip().splitlines()[-1]) == 0:
        print(f"Generating {rows:,} incidents in PostgreSQL …", flush=True)
        manage("generate_incidents", "--count", str(rows), "--seed", "1", env=env)


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


def import_file(path_db, rows, path):
    """A CSV of ``rows`` new incidents naming the database's own actors and places."""
    connection = sqlite3.connect(path_db)
    actors = [
        r[0]
        for r in connection.execute(
            "SELECT name FROM incidents_actor WHERE parent_id IS NOT NULL LIMIT 50"
        )
    ]
    places = [r[0] for r in connection.execute("SELECT name FROM incidents_location LIMIT 200")]
    connection.close()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        for n in range(rows):
            writer.writerow(
                [
                    f"BNC-{2016 + n // 9999}-{n % 9999 + 1:04d}",
                    f"Bench import {n}",
                    "air_intercept",
                    "air",
                    "2021-05-04",
                    "2021-05-04",
                    "day",
                    "reported",
                    "serious",
                    places[n % len(places)],
                    actors[n % len(actors)],
                    actors[(n + 7) % len(actors)],
                    "Imported by the benchmark.",
                ]
            )


PEER_IMPORT = """
import time

import tablib
from import_export import fields, resources, widgets

from incidents.models import Incident, Location


class DefaultIncidentResource(resources.ModelResource):
    # django-import-export's defaults; only the place is named, as in the file
    location = fields.Field(
        attribute="location", column_name="location",
        widget=widgets.ForeignKeyWidget(Location, "name"),
    )

    class Meta:
        model = Incident
        import_id_fields = ["ref"]
        fields = ("ref", "title", "incident_type", "domain", "date_start", "date_end",
                  "date_precision", "status", "risk_tier", "location", "summary")


with open(PATH, encoding="utf-8") as handle:
    dataset = tablib.Dataset().load(handle.read(), format="csv")
started = time.perf_counter()
result = DefaultIncidentResource().import_data(dataset, dry_run=False)
assert not result.has_errors() and not result.has_validation_errors()
print(len(dataset) / (time.perf_counter() - started))
"""


def run_with_peak(args, env):
    """(seconds, peak resident MiB) of a manage.py command, its memory sampled every 20 ms."""
    started = time.perf_counter()
    process = psutil.Popen(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, args)
    return time.perf_counter() - started, peak / 2**20


def admin_import(env, cookie, csv_path):
    """Seconds for the admin's preview of a file, then for its confirm, through gunicorn."""
    import httpx

    server = gunicorn(env)
    try:
        session = cookie["Cookie"].split("=", 1)[1]
        with httpx.Client(
            base_url=f"http://127.0.0.1:{server.port}", cookies={"sessionid": session}, timeout=900
        ) as client:
            url = "/admin/incidents/incident/import/"
            page = client.get(url)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
            started = time.perf_counter()
            preview = client.post(
                url,
                data={"csrfmiddlewaretoken": token, "format": "0", "resource": "0"},
                files={"import_file": (csv_path.name, csv_path.read_bytes(), "text/csv")},
                headers={"Referer": str(client.base_url) + url},
            )
            preview_s = time.perf_counter() - started
            if "process_import" not in preview.text:
                errors = re.findall(r'class="errorlist[^>]*>(.*?)</ul>', preview.text, re.S)
                raise RuntimeError(f"the admin's preview refused the file: {errors[:3]}")
            form = preview.text[preview.text.index("process_import") :]
            fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form))
            if "import_file_name" not in fields:
                raise RuntimeError("the admin's preview offered no confirm form")
            started = time.perf_counter()
            done = client.post(
                "/admin/incidents/incident/process_import/",
                data=fields,
                headers={"Referer": str(client.base_url) + url},
                follow_redirects=True,
            )
            confirm_s = time.perf_counter() - started
            if done.status_code != 200:
                raise RuntimeError(f"the admin's confirm answered {done.status_code}")
    finally:
        server.stop()
    return preview_s, confirm_s


def measure_imports(env, cookie, path_db, import_rows, admin_rows):
    results = {}
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=BENCH))
    try:
        for rows in import_rows:
            copy = work / f"import-{rows}.sqlite3"
            shutil.copyfile(path_db, copy)
            copy_env = {**env, "DATABASE_URL": f"sqlite:///{copy}"}
            csv_path = work / f"incidents-{rows}.csv"
            import_file(copy, rows, csv_path)
            seconds, peak = run_with_peak(
                ["import_incidents", str(csv_path), "--user", "bench"], copy_env
            )
            results[f"import_incidents {rows:,}"] = {
                "rows_per_s": rows / seconds,
                "peak_rss_mib": peak,
            }
            if rows == min(import_rows):
                # The peer at the smallest size only: at ~400 rows/s, 100,000 rows would
                # take four minutes of the benchmark's twenty.
                shutil.copyfile(path_db, copy)  # the same file, into the same database
                script = PEER_IMPORT.replace("PATH", repr(str(csv_path)))
                output = manage("shell", "-c", script, env=copy_env, capture=True)
                results[f"django-import-export defaults {rows:,}"] = {
                    "rows_per_s": float(output.strip().splitlines()[-1])
                }
            copy.unlink()
        if admin_rows:
            copy = work / "admin.sqlite3"
            shutil.copyfile(path_db, copy)
            csv_path = work / f"admin-{admin_rows}.csv"
            import_file(copy, admin_rows, csv_path)
            preview_s, confirm_s = admin_import(
                {**env, "DATABASE_URL": f"sqlite:///{copy}"}, cookie, csv_path
            )
            results[f"admin preview {admin_rows:,}"] = {
                "seconds": preview_s,
                "rows_per_s": admin_rows / preview_s,
            }
            results[f"admin confirm {admin_rows:,}"] = {
                "seconds": confirm_s,
                "rows_per_s": admin_rows / confirm_s,
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


# --- report ---------------------------------------------------------------------------


def report(figures):
    lines = [
        f"Machine: {figures['machine']}",
        f"Database: {figures['rows']:,} incidents (built in {figures['build_s']:.0f} s)",
    ]
    if "export" in figures:
        lines += report_export(figures["export"], figures["rows"])
    if "pages" in figures:
        lines += report_pages(figures["pages"])
    if "imports" in figures:
        lines += ["", "4. Imports"]
        for name, figure in figures["imports"].items():
            extra = ""
            if "peak_rss_mib" in figure:
                extra = f"   peak {figure['peak_rss_mib']:.0f} MiB"
            if "seconds" in figure:
                extra = f"   {figure['seconds']:.1f} s (target < 10 s)"
            lines.append(f"   {name:<36} {figure['rows_per_s']:>8,.0f} rows/s{extra}")
    if "postgres" in figures:
        lines += ["", "5. PostgreSQL (same rows)"]
        lines += report_export(figures["postgres"]["export"], figures["rows"])[2:]
        lines += report_pages(figures["postgres"]["pages"])[1:]
    for backend, load in figures.get("load", {}).items():
        lines += report_load(backend, load)
    return "\n".join(lines)


def report_load(backend, load):
    lines = [
        "",
        f"6. Load on {backend}, {load['rows']:,} incidents: {load['users']} users for "
        f"{load['seconds']} s, gunicorn with 3 workers (p50 / p95 ms)",
    ]
    for name, figure in load["pages"].items():
        lines.append(
            f"   {name:<30} {figure['p50_ms']:>7.0f} / {figure['p95_ms']:<7.0f} "
            f"{figure['requests']:>6,} requests, {figure['failures']} failed"
        )
    lines.append(f"   answers of 500 or more: {load['server_errors']}")
    during = load.get("during_import")
    if during:
        saved = (
            f", saved in {during['saved_p50_ms']:,.0f} ms (median), "
            f"{during['saved_max_ms']:,.0f} ms at most"
            if during["saved"]
            else ""
        )
        lines.append(
            f"   saves in the admin during an import of {during['import_rows']:,} rows "
            f"({'done' if during['import_ok'] else 'FAILED'} in {during['import_s']:.0f} s): "
            f"{during['saves']} tried, {during['saved']} saved{saved}; "
            f"{during['busy_503']} answered 503 (busy, nothing saved)"
            + (f"; other answers {during['other']}" if during["other"] else "")
        )
    return lines


def report_export(export, rows):
    ours = export["ours"]
    lines = [
        "",
        "1. Full CSV export",
        f"   ours (web view)        {ours['rows_per_s']:>10,.0f} rows/s   first byte "
        f"{ours['first_byte_s']:.2f} s   server peak {ours['peak_rss_mib']:.0f} MiB",
    ]
    if "datasette" in export:
        d = export["datasette"]
        lines.append(
            f"   Datasette (labels)     {d['rows_per_s']:>10,.0f} rows/s   first byte "
            f"{d['first_byte_s']:.2f} s   server peak {d['peak_rss_mib']:.0f} MiB"
            f"   → ours ×{ours['rows_per_s'] / d['rows_per_s']:.1f} (target ×3)"
        )
        if d["rows_sent"] < rows:
            lines.append(f"     (Datasette ended its stream after {d['rows_sent']:,} rows)")
        lines.append(
            f"   stdlib sqlite3 + csv   {export['stdlib']['rows_per_s']:>10,.0f} rows/s   "
            f"(the ceiling; ours is {ours['rows_per_s'] / export['stdlib']['rows_per_s']:.0%})"
        )
    return lines


def report_pages(pages):
    lines = ["", "2. List page, facets included (p50 / p95 ms)"]
    for name, figure in pages["list"].items():
        peer = pages["datasette"].get(name)
        beside = f"   Datasette {peer['p50_ms']:.0f} / {peer['p95_ms']:.0f}" if peer else ""
        lines.append(f"   {name:<22} {figure['p50_ms']:>7.0f} / {figure['p95_ms']:.0f}{beside}")
    lines += ["", "3. Admin changelist (p50 / p95 ms)"]
    for name, figure in pages["admin"].items():
        lines.append(f"   {name:<24} {figure['p50_ms']:>7.0f} / {figure['p95_ms']:.0f}")
    return lines


def run_load(args, env, postgres_url):
    backend = "PostgreSQL" if postgres_url else "SQLite"
    print(f"Load on {backend}: {args.load_users} users for {args.load_seconds} s …", flush=True)
    load_env, cookie, work = load_database(env, args.load_rows, postgres_url)
    try:
        figures = {"rows": args.load_rows}
        figures |= measure_load(load_env, cookie, work, args.load_seconds, args.load_users)
        if args.load_import_rows:
            print(f"Saves during an import on {backend} …", flush=True)
            names_db, _, _, _ = build(args.load_rows, env)
            figures["during_import"] = measure_saves_during_import(
                load_env, cookie, work, names_db, args.load_import_rows
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--import-rows", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--admin-rows", type=int, default=5_000)
    parser.add_argument(
        "--only",
        nargs="*",
        choices=["exports", "pages", "imports", "load", "postgres"],
        default=["exports", "pages", "imports", "load", "postgres"],
        help="measure only these (default: all); postgres needs DATABASE_URL, "
        "and load runs on it too when DATABASE_URL is set",
    )
    parser.add_argument("--load-seconds", type=int, default=120)
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument(
        "--load-rows",
        type=int,
        default=100_000,
        help="incidents in the load test's database (default 100,000: years of a theatre log)",
    )
    parser.add_argument("--load-import-rows", type=int, default=100_000)
    parser.add_argument("--output", default=str(BENCH / "results.json"))
    args = parser.parse_args()
    BENCH.mkdir(parents=True, exist_ok=True)
    postgres_url = os.environ.get("DATABASE_URL", "")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    path_db, sqlite_env, cookie, build_s = build(args.rows, env)
    figures = {
        "machine": f"{platform.node()}, {psutil.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}",
        "rows": args.rows,
        "build_s": build_s,
        "runs": args.runs,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    output = Path(args.output)
    save = lambda: output.write_text(json.dumps(figures, indent=2))  # noqa: E731
    if "exports" in args.only:
        print("Measuring exports …", flush=True)
        figures["export"] = measure_exports(sqlite_env, cookie, args.runs, path_db)
        save()
    if "pages" in args.only:
        print("Measuring pages …", flush=True)
        figures["pages"] = measure_pages(sqlite_env, cookie, args.runs, path_db)
        save()
    if "imports" in args.only and args.import_rows:
        print("Measuring imports …", flush=True)
        figures["imports"] = measure_imports(
            sqlite_env, cookie, path_db, args.import_rows, args.admin_rows
        )
        save()
    if "load" in args.only:
        figures["load"] = {"SQLite": run_load(args, env, None)}
        save()
    if "postgres" in args.only and postgres_url.startswith("postgres"):
        pg_env = {**env, "DATABASE_URL": postgres_url}
        postgres_build(pg_env, args.rows)
        pg_cookie = session_cookie(pg_env)
        print("Measuring exports and pages on PostgreSQL …", flush=True)
        figures["postgres"] = {
            "export": measure_exports(pg_env, pg_cookie, args.runs, None),
            "pages": measure_pages(pg_env, pg_cookie, args.runs, None),
        }
        save()
    if "load" in args.only and postgres_url.startswith("postgres"):
        figures.setdefault("load", {})["PostgreSQL"] = run_load(args, env, postgres_url)
    save()
    print()
    print(report(figures))
    print(f"\nFigures written to {args.output}")


if __name__ == "__main__":
    main()
