"""`make bench`'s command line: which sections to run, at what size, where the figures go."""

import argparse
import json
import os
import platform
import sqlite3
import time
from pathlib import Path

import bench
from bench import database as databases
from bench.database import Bench
from bench.harness import ROOT
from bench.report import compare, report
from bench.sections import exports, imports, load, pages, postgres

SECTIONS = ["exports", "pages", "imports", "load", "postgres"]


def parser():
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description=bench.__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="incidents generated (%(default)s)"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs each figure is a median of (%(default)s)"
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        nargs="*",
        default=[10_000, 100_000],
        help="sizes of the files import_incidents reads (%(default)s)",
    )
    parser.add_argument(
        "--admin-rows", type=int, default=5_000, help="rows the admin imports (%(default)s)"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        choices=SECTIONS,
        default=SECTIONS,
        help="measure only these (default: all); postgres needs DATABASE_URL, and load "
        "runs on it too when DATABASE_URL is set",
    )
    parser.add_argument(
        "--load-seconds", type=int, default=120, help="locust's run (%(default)s s)"
    )
    parser.add_argument("--load-users", type=int, default=50, help="locust's users (%(default)s)")
    parser.add_argument(
        "--load-rows",
        type=int,
        default=100_000,
        help="incidents in the load test's database (%(default)s: years of a theatre log)",
    )
    parser.add_argument(
        "--load-import-rows",
        type=int,
        default=100_000,
        help="rows imported while editors save in the admin (%(default)s)",
    )
    parser.add_argument(
        "--without",
        nargs="*",
        choices=["datasette"],
        default=[],
        help="leave out these optional peers even when installed",
    )
    parser.add_argument(
        "--dir",
        default=str(Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench"),
        help="the work folder: generated databases (kept for the next run), collected "
        "static files, the servers' log (%(default)s)",
    )
    parser.add_argument(
        "--static-root",
        help="where the servers' static files are collected (default: DIR/static); "
        "compressing them all takes a while, refreshing them little",
    )
    parser.add_argument("--output", help="where the figures go (default: DIR/results.json)")
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar=("SAVED", "NEW"),
        help="print each figure beside the same figure of a saved results.json, with the "
        "ratio; given a second results.json, compare the two without measuring",
    )
    return parser


def main(argv=None):
    cli = parser()
    args = cli.parse_args(argv)
    if args.compare and len(args.compare) > 2:
        cli.error("--compare takes a saved results.json, and at most one more to compare it with")
    saved = read_results(args.compare[0]) if args.compare else None
    if args.compare and len(args.compare) > 1:
        print(compare(read_results(args.compare[1]), saved, args.compare[0]))
        return
    folder = Path(args.dir).resolve()
    output = Path(args.output) if args.output else folder / "results.json"
    postgres_url = os.environ.get("DATABASE_URL", "")
    on_postgres = postgres_url.startswith("postgres")

    run = Bench.prepare(folder, args.runs, os.environ, args.without, args.static_root)
    sqlite = databases.sqlite(run, args.rows)
    figures = {
        "machine": machine(),
        "rows": args.rows,
        "build_s": sqlite.build_s,
        "runs": args.runs,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    def save():
        # after each section, so a long run that fails late keeps what it measured
        if run.skipped:
            figures["skipped"] = run.skipped
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, indent=2))

    if "exports" in args.only:
        print("Measuring exports …", flush=True)
        figures["export"] = exports.measure(run, sqlite)
        save()
    if "pages" in args.only:
        print("Measuring pages …", flush=True)
        figures["pages"] = pages.measure(run, sqlite)
        save()
    if "imports" in args.only and args.import_rows:
        print("Measuring imports …", flush=True)
        figures["imports"] = imports.measure(run, sqlite, args.import_rows, args.admin_rows)
        save()
    load_args = (args.load_rows, args.load_seconds, args.load_users, args.load_import_rows)
    if "load" in args.only and (figure := load.measure(run, *load_args)):
        figures["load"] = {"SQLite": figure}
        save()
    if "postgres" in args.only and on_postgres:
        print("Measuring exports and pages on PostgreSQL …", flush=True)
        figures["postgres"] = postgres.measure(run, postgres_url, args.rows)
        save()
    if (
        "load" in args.only
        and on_postgres
        and (figure := load.measure(run, *load_args, postgres_url=postgres_url))
    ):
        figures.setdefault("load", {})["PostgreSQL"] = figure
    save()
    print()
    print(report(figures))
    if saved is not None:
        print(compare(figures, saved, args.compare[0]))
    print(f"\nFigures written to {output}")


def read_results(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"--compare {path}: {error}") from None


def machine():
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return (
        f"{platform.node()}, {os.cpu_count()} CPUs, {memory / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
