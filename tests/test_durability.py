"""Nothing committed is lost: concurrent writers, imports killed mid-write, backups.

These run real processes against the test database (committed, so transactional):
``tests/writer.py`` writes as requests do; ``import_incidents`` is killed with SIGKILL;
``backup`` copies while writers write, and ``restore`` brings the copy back.
"""

import csv
import os
import random
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from incidents.management.commands.backup import integrity_check
from incidents.models import Incident

from .helpers import ROOT

WRITERS = int(os.environ.get("DURABILITY_WRITERS", 20))
SECONDS = float(os.environ.get("DURABILITY_SECONDS", 30))
KILLS = 10

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def database_url():
    """The test database, as DATABASE_URL names it for another process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings["USER"], safe="")
    password = quote(settings["PASSWORD"], safe="")
    return (
        f"postgres://{user}:{password}@{settings['HOST'] or 'localhost'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def environment():
    return {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1"}


def start_writers(count, seconds, folder, stop_file=None):
    logs = [folder / f"writer-{n}.log" for n in range(count)]
    extra = [str(stop_file)] if stop_file else []
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "writer.py"),
                str(n),
                str(seconds),
                str(log),
                *extra,
            ],
            cwd=ROOT,
            env=environment(),
        )
        for n, log in enumerate(logs)
    ]
    return processes, logs


def wait_for_commits(logs, processes, count):
    """Until the writers have logged ``count`` commits: an event, however busy the machine
    (a writer that stops early ends the wait with a failure, not a hang)."""
    while True:
        created, titles, _ = read_logs(logs)
        if len(created) >= count:
            return created
        assert all(p.poll() is None for p in processes), "a writer stopped before committing"
        time.sleep(0.05)


def read_logs(logs):
    """(refs created, the last title logged per edited ref, errors), as committed."""
    created, titles, errors = [], {}, []
    for log in logs:
        if not log.exists():
            continue
        for line in log.read_text().splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "create":
                created.append(rest)
            elif kind == "edit":
                ref, _, title = rest.partition(" ")
                titles[ref] = title
            else:
                errors.append(line)
    return created, titles, errors


def sqlite_integrity():
    return integrity_check(connection.settings_dict["NAME"])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded database's locking")
def test_twenty_writers_for_a_minute_lose_nothing(tmp_path):
    """20 processes create and edit incidents for 60 s on one SQLite file (WAL, BEGIN
    IMMEDIATE, 20 s busy timeout): every commit is there, and a write that was refused was
    refused as "database is locked", the 503 a request gets, never anything else."""
    processes, logs = start_writers(WRITERS, SECONDS, tmp_path)
    for process in processes:
        assert process.wait() == 0
    created, titles, errors = read_logs(logs)
    assert [e for e in errors if "database is locked" not in e] == []
    stored = dict(Incident.objects.filter(ref__startswith="W").values_list("ref", "title"))
    assert set(created) == set(stored)  # every committed row, and only those
    assert {ref: stored[ref] for ref in titles} == titles  # every edit's last title
    assert Incident.history.filter(ref__startswith="W").count() == len(created) + sum(
        1 for log in logs for line in log.read_text().splitlines() if line.startswith("edit")
    )
    print(f"{WRITERS} writers, {SECONDS:.0f} s: {len(created)} creates, {len(titles)} edited")
    assert sqlite_integrity() == ["ok"]


def import_file(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "title", "incident_type", "domain", "date_start", "summary"])
        for n in range(rows):
            writer.writerow(
                [
                    f"KIL-{2000 + n // 9999}-{n % 9999 + 1:04d}",
                    f"Imported {n}",
                    "air_intercept",
                    "air",
                    "2024-05-06",
                    "A row of an import that is killed.",
                ]
            )


def run_import(path, *extra, stdout=subprocess.DEVNULL):
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_incidents", str(path), *extra],
        cwd=ROOT,
        env=environment(),
        stdout=stdout,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_an_import_killed_at_any_moment_leaves_none_of_its_rows(tmp_path):
    rows, chunk = 15_000, 2_000
    path = tmp_path / "incidents.csv"
    import_file(path, rows)
    rng = random.Random(11)
    for attempt in range(KILLS):
        # The moment is chosen by the rows the import reports read (-v 2), not by the
        # clock, so a fast or a loaded machine kills it at the same places: after 1 to 7
        # chunks of 2,000 rows, plus up to a tenth of a second into the next.
        chunks = rng.randint(1, (rows - 1) // chunk)
        process = run_import(path, "-v", "2", stdout=subprocess.PIPE)
        reports = 0
        for line in process.stdout:
            reports += "row(s) read" in line
            if reports == chunks:
                break
        time.sleep(rng.uniform(0, 0.1))
        assert reports == chunks and process.poll() is None, f"kill {attempt}: ended early"
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        assert not Incident.objects.filter(ref__startswith="KIL-").exists(), attempt
        if connection.vendor == "sqlite":
            assert sqlite_integrity() == ["ok"], attempt
    # The same file, left alone, imports whole: the kills hit a working import.
    assert run_import(path).wait(timeout=600) == 0
    assert Incident.objects.filter(ref__startswith="KIL-").count() == 15_000


def test_a_backup_taken_during_writes_restores_every_committed_row(tmp_path):
    stop = tmp_path / "stop"
    processes, logs = start_writers(4, 600, tmp_path, stop_file=stop)
    try:
        wait_for_commits(logs, processes, 20)
        committed_before, _, _ = read_logs(logs)
        backup = tmp_path / "backup.db"
        call_command("backup", str(backup), stdout=open(os.devnull, "w"))  # noqa: SIM115
        wait_for_commits(logs, processes, len(read_logs(logs)[0]) + 20)  # writes went on
    finally:
        stop.touch()
        for process in processes:
            process.wait()
    all_created, _, errors = read_logs(logs)
    assert [e for e in errors if "database is locked" not in e] == []
    assert len(all_created) > len(committed_before) > 0

    call_command("restore", str(backup), "--noinput", stdout=open(os.devnull, "w"))  # noqa: SIM115
    restored = set(Incident.objects.filter(ref__startswith="W").values_list("ref", flat=True))
    assert set(committed_before) <= restored  # every row committed before the backup
    assert restored < set(all_created)  # and the database is back at that moment
    if connection.vendor == "sqlite":
        assert sqlite_integrity() == ["ok"]


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, load_seeds):
    bogus = tmp_path / "notes.db"
    bogus.write_text("ref,title\n")
    before = Incident.objects.count()
    with pytest.raises(Exception, match="Nothing was changed"):
        call_command("restore", str(bogus), "--noinput")
    assert Incident.objects.count() == before
