"""`make bench`: the site's exports, pages and imports measured beside their peers in the
same run, and the site under load.

Builds (or reuses) a generated database of --rows incidents in the work folder, serves it
with gunicorn as `make serve` does (production settings), and measures, each figure a median
over --runs runs:

1. the full CSV export through the web view (rows/s, first byte, the worker's peak memory)
   beside Datasette's streamed CSV of the same table with labels and the stdlib
   sqlite3 + csv loop over the same rows;
2. list page latency (p50, p95) unfiltered, with one selective filter and with three,
   facets included, beside Datasette's faceted table page;
3. the admin changelist with its filters and date navigation;
4. `import_incidents` of --import-rows new rows (history written; rows/s and peak memory)
   and the admin's preview-and-confirm of --admin-rows, beside django-import-export's
   defaults on the smallest file;
5. the export and page figures on PostgreSQL when DATABASE_URL points at one;
6. load: locust users against gunicorn with 3 workers on a database of --load-rows
   incidents (SQLite, and PostgreSQL too when DATABASE_URL points at one), then editors
   saving in the admin while an import of --load-import-rows rows runs.

Prints a table and writes the figures to DIR/results.json after each section; --compare
prints them beside a saved results.json. Peers not installed (the bench extra: Datasette,
locust) are reported as such and skipped.

  harness      servers on loopback and their peak memory, requests, commands, percentiles
  database     the generated databases, the bench's settings, the site under gunicorn
  forms        the CSRF token, a form's fields, the admin's add form (locust's too)
  importfile   the CSV every measured import reads, and its columns
  project      what the bench asks of Django, run inside it by `manage.py shell -c`
  sections/    exports, pages, admin, imports, load: one module per section
  peers/       Datasette, the stdlib sqlite3 + csv loop, django-import-export's defaults
  report       the table, and the comparison with a saved run
  cli          the command line; bench/run.py and `python -m bench` run it
"""
