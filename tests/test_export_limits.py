"""Exports that stay inert in a spreadsheet and bounded on the server.

Every cell a spreadsheet could run is defused on every path (list, command, admin) and
comes back unchanged through an import; an XLSX too long is refused before any row is
read; the admin's export streams the list export's rows; one export per user at a time.
"""

import csv
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from incidents.models import Incident, IncidentSource, Source
from incidents.resources import IncidentSourceResource
from incidents.widgets import clean_text, defuse, undefuse

from .helpers import table_state

ROOT = Path(__file__).resolve().parent.parent

FORMULAS = [
    "=1+1",
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1+1",
    "\u200b=1+1",
    "\ufeff=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
]
# Not a formula where it starts; dangerous only to a reader that splits the row on ";".
SEPARATED = "Report;=1+1"


@pytest.fixture
def viewer(client_for):
    return client_for("viewer")


@pytest.fixture
def formula_incidents(make_incident):
    """One incident per formula-like cell, in its title and its summary, listed by ref."""
    cells = [*FORMULAS, SEPARATED]
    return {
        make_incident(f"SYR-2023-{n:04d}", title=cell, summary=cell).ref: cell
        for n, cell in enumerate(cells, start=1)
    }


def body(response):
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def export(client, file_format, query=""):
    return client.get(reverse("incidents:export", args=[file_format]) + "?" + query)


def expected(cell):
    return cell if cell == SEPARATED else "'" + cell


# --- formulas ---------------------------------------------------------------------------


def test_every_formula_like_cell_is_defused_in_csv_with_every_field_quoted(
    formula_incidents, viewer
):
    data = body(export(viewer, "csv", "ordering=ref"))

    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert {row["ref"]: row["title"] for row in rows} == {
        ref: expected(cell) for ref, cell in formula_incidents.items()
    }
    assert all(row["summary"] == row["title"] for row in rows)
    # Read with QUOTE_NONNUMERIC, an unquoted field would come back as a number or fail.
    text = io.StringIO(data.decode("utf-8"), newline="")
    quoted = csv.reader(text, quoting=csv.QUOTE_NONNUMERIC)
    assert all(isinstance(field, str) for row in quoted for field in row)
    assert b'"Report;=1+1"' in data


def test_every_formula_like_cell_is_a_string_starting_with_an_apostrophe_in_xlsx(
    formula_incidents, viewer
):
    data = body(export(viewer, "xlsx", "ordering=ref"))

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    title, summary = header.index("title"), header.index("summary")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    for row in sheet.iter_rows(min_row=2):
        cell = formula_incidents[row[0].value]
        for column in (title, summary):
            assert row[column].data_type == "s"
            assert row[column].value == expected(cell)  # a carriage return kept, too


@pytest.mark.parametrize("file_format", ["json", "geojson"])
def test_every_formula_like_cell_is_defused_in_json(formula_incidents, viewer, file_format):
    document = json.loads(body(export(viewer, file_format, "ordering=ref")))

    records = document if file_format == "json" else [f["properties"] for f in document["features"]]
    assert {r["ref"]: (r["title"], r["summary"]) for r in records} == {
        ref: (expected(cell), expected(cell)) for ref, cell in formula_incidents.items()
    }


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_export_then_import_of_formula_like_cells_changes_nothing(
    formula_incidents, tmp_path, file_format
):
    path = tmp_path / f"incidents.{file_format}"
    call_command("export_incidents", format=file_format, output=str(path), stderr=io.StringIO())
    before = table_state()

    out = io.StringIO()
    call_command("import_incidents", str(path), stdout=out)

    count = len(formula_incidents)
    assert f"{count} row(s): 0 new, 0 updated, {count} unchanged" in out.getvalue()
    assert table_state() == before
    assert dict(Incident.objects.values_list("ref", "title")) == formula_incidents


# What an import refuses (a summary may open with "-1 aircraft", so +1 and -1 pass there).
IMPORT_REFUSED = [
    "=1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1+1",
    "\u200b=1+1",
    "\ufeff=1+1",
    "＝1+1",
    "＠SUM(A1)",
    "－SUM(A1)",
    "\u3000+cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("cell", IMPORT_REFUSED)
def test_an_imported_formula_is_refused_whatever_comes_before_it(make_incident, tmp_path, cell):
    make_incident("SYR-2023-0001", title="Before")
    path = tmp_path / "incidents.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "title", "incident_type", "domain", "date_start"])
        writer.writerow(["SYR-2023-0001", cell, "air_intercept", "air", "2023-06-01"])
    before = table_state()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_incidents", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert table_state() == before


invisible = st.sampled_from([" ", "\u00a0", "\u3000", "\u200b", "\ufeff", "\u2060", "\u180e"])
sign = st.sampled_from(["=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "⁺"])
formula_like = st.builds(
    lambda apostrophes, start, rest: "'" * apostrophes + start + rest,
    st.integers(0, 2),
    st.one_of(
        st.builds(lambda blanks, first: "".join(blanks) + first, st.lists(invisible), sign),
        st.sampled_from(["\t", "\r", "\n"]),
    ),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20),
)


@given(cell=st.one_of(formula_like, st.text()))
def test_undefuse_takes_away_exactly_what_defuse_added(cell):
    assert undefuse(defuse(cell)) == cell


@given(cell=formula_like)
def test_a_defused_cell_starts_with_an_apostrophe_and_imports_back_as_it_was(cell):
    defused = defuse(cell)
    assert defused == "'" + cell
    if "\x00" not in cell and "<" not in cell and cell == cell.rstrip():
        assert clean_text(defused) == cell


def test_nfkc_is_read_one_character_at_a_time():
    # As a string, "=" and a combining solidus compose to "≠"; a spreadsheet sees "=".
    assert unicodedata.normalize("NFKC", "=\u0338") == "≠"
    assert defuse("=\u0338") == "'=\u0338"
    assert defuse("Plain title") == "Plain title"
    assert defuse("'Tis a quote") == "'Tis a quote"


# --- bounded XLSX -----------------------------------------------------------------------


def test_an_xlsx_above_the_limit_is_refused_naming_the_csv_export(settings, viewer, make_incident):
    settings.EXPORT_XLSX_MAX_ROWS = 2
    for n in range(3):
        make_incident(f"SYR-2023-{n:04d}")
    query = "incident_type=air_intercept"

    with CaptureQueriesContext(connection) as queries:
        response = export(viewer, "xlsx", query)

    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    text = response.content.decode()
    assert "3 rows are more than an XLSX export holds (2 at most)" in text
    assert f"/incidents/export.csv?{query}" in text
    assert "SYR-" not in text
    assert not any("incidents_incidentactor" in q["sql"] for q in queries.captured_queries)
    settings.EXPORT_XLSX_MAX_ROWS = 3
    assert body(export(viewer, "xlsx", query))


def test_the_command_refuses_an_xlsx_above_the_limit_and_writes_nothing(
    settings, make_incident, tmp_path
):
    settings.EXPORT_XLSX_MAX_ROWS = 1
    make_incident("SYR-2023-0001")
    make_incident("SYR-2023-0002")
    output = tmp_path / "out.xlsx"

    with pytest.raises(CommandError, match=r"export CSV.*/incidents/export\.csv"):
        call_command("export_incidents", format="xlsx", output=str(output))

    assert not output.exists()


def test_the_xlsx_starts_streaming_before_any_row_is_read(viewer, make_incident):
    for n in range(5):
        make_incident(f"SYR-2023-{n:04d}")
    response = export(viewer, "xlsx")
    stream = iter(response.streaming_content)

    with CaptureQueriesContext(connection) as queries:
        first = next(stream)

    assert first.startswith(b"PK\x03\x04")
    assert not any("incidents_incidentactor" in q["sql"] for q in queries.captured_queries)
    rest = b"".join(stream)
    sheet = openpyxl.load_workbook(io.BytesIO(first + rest)).active
    assert sheet.max_row == 6


# --- the admin's export ----------------------------------------------------------------


def admin_export(client, model="incident", file_format="0", resource=None):
    """POST the admin's export form: a format (0 CSV, 1 XLSX, 2 JSON), every field ticked."""
    data = {"format": file_format}
    if resource is not None:  # the other tables' forms choose fields; tick them all
        data.update({f"{resource.__name__.lower()}_{name}": "on" for name in resource.fields})
    return client.post(reverse(f"admin:incidents_{model}_export"), data)


def test_the_admin_export_streams_exactly_the_list_exports_rows(load_seeds, viewer):
    listed = body(export(viewer, "csv"))

    response = admin_export(viewer)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body(response) == listed
    assert int(response["X-Export-Rows"]) == Incident.objects.count()


def test_the_admin_export_defuses_the_same_cells(formula_incidents, viewer):
    rows = csv.DictReader(io.StringIO(body(admin_export(viewer)).decode("utf-8"), newline=""))
    assert {row["ref"]: row["title"] for row in rows} == {
        ref: expected(cell) for ref, cell in formula_incidents.items()
    }


def test_the_admin_export_follows_the_changelists_filter(load_seeds, viewer):
    url = reverse("admin:incidents_incident_export") + "?incident_type__exact=air_intercept"
    data = body(viewer.post(url, {"format": "2"}))  # JSON

    refs = [row["ref"] for row in json.loads(data)]
    assert refs == list(
        Incident.objects.filter(incident_type="air_intercept").values_list("ref", flat=True)
    )


def test_the_admin_xlsx_above_the_limit_is_refused_with_a_message(load_seeds, settings, viewer):
    settings.EXPORT_XLSX_MAX_ROWS = 2

    response = admin_export(viewer, file_format="1")

    assert response.status_code == 200  # the export form again, with the reason above it
    page = response.content.decode()
    assert "more than an XLSX export holds (2 at most)" in page
    assert "/incidents/export.csv" in page


def test_the_admin_export_costs_the_same_queries_for_ten_rows_or_a_thousand(viewer, make_incident):
    for n in range(10):
        make_incident(f"SYR-2022-{n:04d}")
    body(admin_export(viewer))  # session and permissions
    with CaptureQueriesContext(connection) as small:
        body(admin_export(viewer))
    for n in range(10, 1000):
        make_incident(f"SYR-2022-{n:04d}")
    with CaptureQueriesContext(connection) as large:
        body(admin_export(viewer))
    assert len(large) == len(small)


def test_another_tables_admin_export_above_its_limit_is_refused(settings, viewer, make_incident):
    incident = make_incident("SYR-2023-0001")
    for n in range(3):
        source = Source.objects.create(title=f"Source {n}", reliability="B")
        IncidentSource.objects.create(incident=incident, source=source, excerpt="x", credibility=2)
    settings.EXPORT_ADMIN_MAX_ROWS = 2

    refused = admin_export(viewer, "incidentsource", resource=IncidentSourceResource)
    settings.EXPORT_ADMIN_MAX_ROWS = 3
    allowed = admin_export(viewer, "incidentsource", resource=IncidentSourceResource)

    assert refused.status_code == 200
    assert "3 rows are more than the admin exports at once (2" in refused.content.decode()
    assert allowed.status_code == 200
    assert allowed["Content-Disposition"].startswith("attachment")
    assert len(list(csv.reader(io.StringIO(allowed.content.decode("utf-8-sig"))))) == 4


# --- one export per user at a time -----------------------------------------------------


def close_like_a_server(response):
    """The WSGI server's close(), with the test's database connection kept open (as the
    test client keeps it when a stream ends)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_a_second_export_by_the_same_user_is_refused_while_the_first_streams(
    viewer, client_for, make_incident
):
    for n in range(3):
        make_incident(f"SYR-2023-{n:04d}")
    first = export(viewer, "csv")
    stream = iter(first.streaming_content)
    next(stream)

    second = export(viewer, "xlsx")
    from_admin = admin_export(viewer)
    other_user = export(client_for("editor"), "csv")

    assert second.status_code == from_admin.status_code == 429
    assert "You already have an export running" in second.content.decode()
    assert second["Retry-After"]
    assert body(other_user)
    assert b"".join(stream)  # the first ends
    assert body(export(viewer, "json"))
    assert body(admin_export(viewer))


def test_a_stream_closed_before_it_started_gives_the_slot_back(viewer, make_incident):
    make_incident("SYR-2023-0001")
    unread = export(viewer, "csv")
    assert export(viewer, "csv").status_code == 429
    close_like_a_server(unread)  # the client went away before the first byte

    assert body(export(viewer, "csv"))


def test_a_stream_dropped_without_being_closed_does_not_lock_its_user_out(viewer, make_incident):
    make_incident("SYR-2023-0001")
    export(viewer, "csv")  # never read, never closed: garbage once this line is done

    assert body(export(viewer, "csv"))


def test_a_stream_that_ends_gives_the_slot_back(viewer, make_incident):
    make_incident("SYR-2023-0001")
    for file_format in ("csv", "xlsx", "json", "geojson"):
        assert body(export(viewer, file_format))


HOLDER = """
import sys, types
import django
django.setup()
from django.db import connections
connections["default"].settings_dict["NAME"] = sys.argv[1]
from incidents.export_slots import ExportSlot
slot = ExportSlot.take(types.SimpleNamespace(pk=int(sys.argv[2])))
print("held", flush=True)
sys.stdin.read()
slot.release()
"""


@pytest.mark.django_db(transaction=True)
def test_the_slot_holds_across_processes(viewer, make_incident, settings):
    """Another process (another gunicorn worker) holding the user's slot refuses this one's
    export until it lets go. The child says when it holds the slot; nothing waits on time."""
    make_incident("SYR-2023-0001")
    user_id = viewer.session["_auth_user_id"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(settings.VAR_DIR),
    }
    child = subprocess.Popen(  # noqa: S603 (this interpreter, this project)
        [sys.executable, "-c", HOLDER, str(connection.settings_dict["NAME"]), user_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "held"
        assert export(viewer, "csv").status_code == 429
    finally:
        child.stdin.close()
        assert child.wait() == 0
    assert body(export(viewer, "csv"))
    if connection.vendor == "sqlite":
        assert (settings.VAR_DIR / "locks").stat().st_mode & 0o777 == 0o700
