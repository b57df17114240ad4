"""`make bench` still runs: its sections that need no optional peer, at 1,000 incidents.

Figures, not assertions of speed: the test checks that every figure is measured, never
how fast. The bench extra (Datasette, locust) is not installed by `make test`; a peer that
is missing must be reported as such, not fail the run. Where it is installed, the test
leaves it out all the same, so that it takes the same time everywhere.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from bench.harness import ROOT
from bench.peers import installed
from bench.report import report_load
from bench.sections.admin import CHANGELIST_QUERIES
from bench.sections.load import read_stats
from bench.sections.pages import LIST_QUERIES

SMOKE = [
    "--rows",
    "1000",
    "--runs",
    "1",
    "--import-rows",
    "500",
    "--admin-rows",
    "200",
    "--only",
    "exports",
    "pages",
    "imports",
    "--without",
    "datasette",
]


def bench(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # a hung server fails the test instead of the whole suite
        check=False,
    )


def positive_numbers(figures):
    """Every number in a section's figures, which must all have been measured."""
    for value in figures.values():
        if isinstance(value, dict):
            yield from positive_numbers(value)
        else:
            yield value


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    # Kept between runs of the suite: compressing every static file anew would take most
    # of the test's time; refreshing them is what the test pays.
    static = settings.VAR_DIR / "bench-static"
    finished = bench(*SMOKE, "--dir", str(folder), "--static-root", str(static))
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return folder, finished.stdout, json.loads((folder / "results.json").read_text())


@pytest.mark.slow
def test_every_section_writes_its_figures(smoke_run):
    _, _, figures = smoke_run

    ours = figures["export"]["ours"]
    assert ours["rows"] == 1000
    assert all(value > 0 for value in positive_numbers(ours))
    assert figures["export"]["stdlib"]["rows_per_s"] > 0
    assert set(figures["pages"]["list"]) == set(LIST_QUERIES)
    assert set(figures["pages"]["admin"]) == set(CHANGELIST_QUERIES)
    assert set(figures["imports"]) == {
        "import_incidents 500",
        "django-import-export defaults 500",
        "admin preview 200",
        "admin confirm 200",
    }
    for section in (figures["pages"]["list"], figures["pages"]["admin"], figures["imports"]):
        assert all(value > 0 for value in positive_numbers(section))


@pytest.mark.slow
def test_an_optional_peer_not_measured_is_reported_and_skipped(smoke_run):
    _, output, figures = smoke_run

    why = "left out (--without)" if installed("datasette") else "not installed"
    assert figures["skipped"]["Datasette"].startswith(why)
    assert f"Not measured: Datasette, {why}" in output
    assert "datasette" not in figures["export"]
    assert figures["pages"]["datasette"] == {}


@pytest.mark.slow
def test_compare_puts_each_figure_beside_the_saved_one(smoke_run):
    folder, _, _ = smoke_run
    saved = folder / "results.json"

    finished = bench("--compare", str(saved), str(saved))

    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert any(
        line.split()[:5] == ["export", "/", "ours", "/", "rows_per_s"]
        and line.split()[-2:] == ["×1.00", "same"]
        for line in lines
    ), finished.stdout


def test_locust_failures_are_read_and_printed(tmp_path):
    prefix = tmp_path / "locust"
    (tmp_path / "locust_stats.csv").write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,50%,95%\n"
        "GET,/incidents/?filter,40,3,120,120,900\n"
        "POST,admin add (save),6,1,300,300,2000\n"
        ",Aggregated,46,4,130,130,1000\n"
    )
    (tmp_path / "locust_failures.csv").write_text(
        "Method,Name,Error,Occurrences\n"
        "GET,/incidents/?filter,CatchResponseError('HTTP 500'),2\n"
        "GET,/incidents/?filter,ConnectionResetError(104),1\n"
        "POST,admin add (save),CatchResponseError('HTTP 503'),1\n"
    )

    stats = read_stats(prefix)
    printed = "\n".join(report_load("SQLite", {"rows": 1000, "users": 5, "seconds": 10} | stats))

    assert stats["server_errors"] == 3
    assert stats["failed_answers"] == {"500": 2, "503": 1}
    assert stats["pages"]["Aggregated"]["failures"] == 4
    assert "answers of 500 or more: 3" in printed
    assert "ConnectionResetError(104)" in printed
    assert "admin add (save): CatchResponseError('HTTP 503')" in printed
