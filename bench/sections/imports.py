"""4. Imports: `import_incidents` of new rows (history written), beside django-import-export's
defaults on the smallest file, and the admin's preview and confirm."""

import shutil
import tempfile
from pathlib import Path

from bench.database import BENCH_USER, gunicorn
from bench.harness import last_line, manage
from bench.importfile import write_import_file
from bench.sections import admin


def measure(bench, database, import_rows, admin_rows):
    results = {}
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=bench.folder))
    try:
        for rows in import_rows:
            results |= command(database, work, rows, peer=rows == min(import_rows))
        if admin_rows:
            results |= through_admin(bench, database, work, admin_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def command(database, work, rows, peer):
    """`import_incidents` of ``rows`` new incidents into a copy of the database, and with
    ``peer`` django-import-export's defaults with the same file into a fresh copy."""
    copy = database.copy(work / f"import-{rows}.sqlite3")
    csv_path = work / f"incidents-{rows}.csv"
    write_import_file(copy.path, rows, csv_path)
    run = manage("import_incidents", str(csv_path), "--user", BENCH_USER, env=copy.env)
    results = {
        f"import_incidents {rows:,}": {
            "rows_per_s": rows / run.seconds,
            "peak_rss_mib": run.peak_rss_mib,
        }
    }
    if peer:
        # The peer at the smallest size only: it is the slowest of the importers, and a
        # large file would take most of the bench's time.
        copy = database.copy(copy.path)
        script = f"from bench.peers.import_export_defaults import main; main({str(csv_path)!r})"
        output = manage("shell", "-c", script, env=copy.env)
        results[f"django-import-export defaults {rows:,}"] = {
            "rows_per_s": float(last_line(output))
        }
    copy.path.unlink()
    return results


def through_admin(bench, database, work, rows):
    copy = database.copy(work / "admin.sqlite3")
    csv_path = work / f"admin-{rows}.csv"
    write_import_file(copy.path, rows, csv_path)
    server = gunicorn(bench, copy)
    try:
        preview_s, confirm_s = admin.import_file(server.client(copy.cookies), csv_path)
    finally:
        server.stop()
    return {
        f"admin preview {rows:,}": {"seconds": preview_s, "rows_per_s": rows / preview_s},
        f"admin confirm {rows:,}": {"seconds": confirm_s, "rows_per_s": rows / confirm_s},
    }
