"""Imports refuse bad files whole, with a message per problem; good files land once."""

import csv
import datetime
import io
import json
import re
from collections import Counter

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from incidents.models import Incident, IncidentActor, Location

from .helpers import GOOD, HEADER, table_state, upload

URL = "/admin/incidents/incident/import/"


def xlsx_bytes(*sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROWS = [
    ["ref", "title", "incident_type", "domain", "date_start"],
    ["SYR-2025-0100", "Intercept", "air_intercept", "air", datetime.date(2025, 2, 3)],
]

# name: (file bytes, format index 0=csv 1=xlsx 2=json, a phrase the analyst must read)
BAD_FILES = {
    "latin-1 encoding": (
        (HEADER + GOOD.replace("shadows", "frôle")).encode("latin-1"),
        0,
        "not UTF-8",
    ),
    "empty file": (b"", 0, "empty"),
    "only blank lines": (b"\n\n  \n", 0, "empty"),
    "header only": (HEADER.encode(), 0, "header row but no rows"),
    "missing required column": (
        b"ref,title,incident_type,domain\nSYR-2025-0100,X,air_intercept,air\n",
        0,
        "Missing required column(s): date_start",
    ),
    "misspelt column": (
        b"ref,title,incident_type,domain,dat_start\nSYR-2025-0100,X,air_intercept,air,2025-01-01\n",
        0,
        "Unknown column(s): “dat_start”",
    ),
    "repeated column": (
        b"ref,ref,title,incident_type,domain,date_start\nA,B,X,air_intercept,air,2025-01-01\n",
        0,
        "given twice",
    ),
    "ragged row": (
        (HEADER + "SYR-2025-0100,X,air_intercept,air\n").encode(),
        0,
        "Line 2 has 4 cells but the header row has 8",
    ),
    "impossible date": (
        (HEADER + GOOD.replace("2025-02-03,2025-02-03", "2025-02-30,2025-02-30")).encode(),
        0,
        "not a date in the calendar",
    ),
    "ambiguous date": (
        (HEADER + GOOD.replace("2025-02-03,2025-02-03", "03/04/2026,03/04/2026")).encode(),
        0,
        "not an ISO 8601 date",
    ),
    "end before start": (
        (HEADER + GOOD.replace("2025-02-03,2025-02-03", "2025-02-03,2025-02-01")).encode(),
        0,
        "end date is before the start date",
    ),
    "unknown location": (
        (HEADER + GOOD.replace("al-Tanf", "Atlantis")).encode(),
        0,
        "Unknown location “Atlantis”",
    ),
    "actor misspelt": (
        (HEADER + GOOD.replace("Russian Aerospace Forces", "Russian Aerospace Force")).encode(),
        0,
        "Did you mean “Russian Aerospace Forces”",
    ),
    "location misspelt": (
        (HEADER + GOOD.replace("al-Tanf", "al-Tanff")).encode(),
        0,
        "Did you mean “al-Tanf”?",
    ),
    "unknown actor": (
        (HEADER + GOOD.replace("Russian Aerospace Forces", "Martian Air Force")).encode(),
        0,
        "Unknown actor “Martian Air Force”",
    ),
    "unknown choice": (
        (HEADER + GOOD.replace("air_intercept", "dogfight")).encode(),
        0,
        "“dogfight” is not one of",
    ),
    "malformed ref": (
        (HEADER + GOOD.replace("SYR-2025-0100", "syr-25-1")).encode(),
        0,
        "SYR-2023-0004",
    ),
    "duplicate key in file": ((HEADER + GOOD + GOOD).encode(), 0, "appears on lines 2, 3"),
    "huge cell": (
        (HEADER + GOOD.replace("Su-35 shadows an MQ-9", "x" * 25_000)).encode(),
        0,
        "the limit is 20,000",
    ),
    "NUL byte": ((HEADER + GOOD.replace("shadows", "sha\x00dows")).encode(), 0, "NUL"),
    "formula cell": (
        (
            HEADER + GOOD.replace("Su-35 shadows an MQ-9", '"=HYPERLINK(""http://x"",""y"")"')
        ).encode(),
        0,
        "looks like a spreadsheet formula",
    ),
    "DDE payload": (
        (HEADER + GOOD.replace("Su-35 shadows an MQ-9", "-cmd|' /C calc'!A0")).encode(),
        0,
        "looks like a spreadsheet formula",
    ),
    "HTML cell": (
        (HEADER + GOOD.replace("Su-35 shadows an MQ-9", "<script>alert(1)</script>")).encode(),
        0,
        "HTML markup",
    ),
    "fractional count": (
        b"ref,title,incident_type,domain,date_start,fatalities_best\n"
        b"SYR-2025-0100,X,air_intercept,air,2025-01-01,3.5\n",
        0,
        "not a whole number",
    ),
    "XLSX renamed .csv": (xlsx_bytes(("Incidents", ROWS)), 0, "not CSV text: choose XLSX"),
    "XLSX with several sheets": (
        xlsx_bytes(("Incidents", ROWS), ("Notes", [["a note"]])),
        1,
        "has 2 sheets",
    ),
    "XLSX formula cell": (
        xlsx_bytes(
            (
                "Incidents",
                [ROWS[0], ["SYR-2025-0100", "=1+1", "air_intercept", "air", "2025-02-03"]],
            )
        ),
        1,
        "looks like a spreadsheet formula",
    ),
    "CSV chosen as XLSX": ((HEADER + GOOD).encode(), 1, "not an Excel workbook"),
    "JSON not a list": (b'{"ref": "SYR-2025-0100"}', 2, "list of objects"),
    "broken JSON": (b'[{"ref": ', 2, "not valid JSON"),
}


@pytest.fixture
def seeded_importer(load_seeds, client_for):
    return client_for("importer")


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_gets_its_message_and_changes_nothing(seeded_importer, case):
    content, fmt, phrase = BAD_FILES[case]
    before = table_state()

    response = seeded_importer.post(URL, upload(content, fmt=fmt))

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        phrase.replace("“", "&ldquo;") in page
        or phrase in page
        or (
            # the page HTML-escapes quotes
            re.sub(r"[“”]", "", phrase) in re.sub(r"&[lr]dquo;|[“”]", "", page)
        )
    ), page[-3000:]
    assert 'name="import_file_name"' not in page  # no confirm button
    assert table_state() == before


def test_an_oversized_file_is_refused_before_reading(seeded_importer):
    before = table_state()
    with override_settings(IMPORT_MAX_BYTES=100):
        response = seeded_importer.post(URL, upload((HEADER + GOOD * 3).encode()))
    assert "imports are limited" in response.content.decode()
    assert table_state() == before


def test_preview_writes_nothing_and_confirm_writes_everything(seeded_importer):
    content = (HEADER + GOOD + GOOD.replace("0100", "0101")).encode("utf-8-sig")  # Excel's BOM
    before = table_state()

    preview = seeded_importer.post(URL, upload(content))
    page = preview.content.decode()
    assert preview.status_code == 200 and 'name="import_file_name"' in page
    assert table_state() == before

    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    confirm = seeded_importer.post(
        "/admin/incidents/incident/process_import/",
        {k: fields[k] for k in ("import_file_name", "original_file_name", "format", "resource")},
    )
    assert confirm.status_code == 302
    imported = Incident.objects.get(ref="SYR-2025-0100")
    assert imported.location.name == "al-Tanf"
    assert [a.name for a in imported.actors.all()] == ["Russian Aerospace Forces"]
    assert Incident.objects.filter(ref="SYR-2025-0101").exists()
    assert imported.created_by.username == "importer"


def test_a_file_with_one_bad_row_imports_no_row(load_seeds):
    path_rows = HEADER + GOOD + GOOD.replace("0100", "0101").replace("al-Tanf", "Atlantis")
    before = table_state()
    from incidents.formats import CSV
    from incidents.incident_file import IncidentFileResource

    resource = IncidentFileResource()
    result = resource.import_data(CSV().create_dataset(path_rows.encode()))
    assert [(line, col) for line, col, _ in resource.describe_errors(result)] == [(3, "location")]
    assert table_state() == before


def test_command_import_reports_line_and_column(load_seeds, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + GOOD.replace("2025-02-03,2025-02-03", "2025-02-03,03/02/2025"))
    before = table_state()
    with pytest.raises(Exception, match="nothing was imported"):
        call_command("import_incidents", str(path))
    assert "bad.csv: line 2, column date_end: “03/02/2025” is not an ISO 8601 date" in (
        capsys.readouterr().err
    )
    assert table_state() == before


def test_a_date_cell_in_a_workbook_is_taken_as_a_date(load_seeds, tmp_path):
    path = tmp_path / "incidents.xlsx"
    path.write_bytes(xlsx_bytes(("Incidents", ROWS)))
    call_command("import_incidents", str(path), stdout=io.StringIO())
    assert Incident.objects.get(ref="SYR-2025-0100").date_start == datetime.date(2025, 2, 3)


def test_json_import(load_seeds, tmp_path):
    path = tmp_path / "incidents.json"
    path.write_text(
        json.dumps(
            [
                dict(
                    zip(
                        ROWS[0],
                        ["SYR-2025-0100", "X", "air_intercept", "air", "2025-02-03"],
                        strict=True,
                    )
                )
            ]
        )
    )
    call_command("import_incidents", str(path), stdout=io.StringIO())
    assert Incident.objects.filter(ref="SYR-2025-0100").exists()


def test_an_import_can_move_actors_between_roles(load_seeds, tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text(
        "ref,title,incident_type,domain,date_start,initiators,targets\n"
        "SYR-2023-0002,Russian forces intercept a US MQ-9 Reaper,air_intercept,air,2023-03-01,"
        "US Air Force,Russian Armed Forces\n"
    )
    call_command("import_incidents", str(path), stdout=io.StringIO())
    incident = Incident.objects.get(ref="SYR-2023-0002")
    roles = {(link.actor.name, link.role) for link in incident.incident_actors.all()}
    assert roles == {("US Air Force", "initiator"), ("Russian Armed Forces", "target")}
    assert Location.objects.filter(name="al-Tanf").exists()


# --- the command's streaming loader (incidents.loader) ---------------------------------

SUFFIX = {0: "csv", 1: "xlsx", 2: "json"}


def run_import(path, *args):
    """The command's outcome as an analyst reads it: (succeeded, everything it printed)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_incidents", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return False, err.getvalue() + str(error)
    return True, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_the_command_refuses_each_bad_file_with_its_message(load_seeds, tmp_path, case):
    content, fmt, phrase = BAD_FILES[case]
    path = tmp_path / f"incidents.{SUFFIX[fmt]}"
    path.write_bytes(content)
    before = table_state()
    succeeded, said = run_import(path)
    assert not succeeded
    assert phrase in said
    assert "othing was imported" in said
    assert table_state() == before


def snapshot():
    """Incidents, their actors and their history as an analyst sees them (no timestamps)."""
    incidents = sorted(
        Incident.objects.values_list(
            "ref",
            "title",
            "incident_type",
            "date_start",
            "date_end",
            "location__name",
            "status",
            "created_by__username",
            "updated_by__username",
        )
    )
    links = sorted(IncidentActor.objects.values_list("incident__ref", "actor__name", "role"))
    refs = dict(Incident.objects.values_list("pk", "ref"))  # ids differ between runs
    history = sorted(
        Incident.history.values_list("ref", "title", "history_type", "history_user__username")
    ) + sorted(
        (refs[incident], actor, role, kind)
        for incident, actor, role, kind in IncidentActor.history.values_list(
            "incident_id", "actor_id", "role", "history_type"
        )
    )
    return incidents, links, history


def mixed_file(tmp_path):
    """New rows, a changed seed row (title and actors), and an unchanged seed row."""
    path = tmp_path / "mixed.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "ref",
                "title",
                "incident_type",
                "domain",
                "date_start",
                "date_end",
                "location",
                "initiators",
                "targets",
            ]
        )
        for n in range(1, 41):
            writer.writerow(
                [
                    f"SYR-2025-{n:04d}",
                    f"Intercept {n}",
                    "air_intercept",
                    "air",
                    "2025-02-03",
                    "",
                    "al-Tanf",
                    "Russian Aerospace Forces",
                    "US Air Force" if n % 2 else "",
                ]
            )
        writer.writerow(
            [
                "SYR-2023-0002",
                "Retitled intercept",
                "air_intercept",
                "air",
                "2023-03-01",
                "2023-03-01",
                "",
                "US Air Force",
                "",
            ]
        )
    return path


def expected_after_mixed_file(before):
    """What the mixed file must leave, written out rather than computed."""
    incidents, links, history = before
    new = [
        (f"SYR-2025-{n:04d}", f"Intercept {n}", "air_intercept", datetime.date(2025, 2, 3),
         datetime.date(2025, 2, 3), "al-Tanf", "reported", "importer-1", "importer-1")
        for n in range(1, 41)
    ]  # fmt: skip
    old = [row for row in incidents if row[0] == "SYR-2023-0002"][0]
    changed = ("SYR-2023-0002", "Retitled intercept", "air_intercept", datetime.date(2023, 3, 1),
               datetime.date(2023, 3, 1), None, old[6], old[7], "importer-1")  # fmt: skip
    incidents = sorted([row for row in incidents if row[0] != "SYR-2023-0002"] + new + [changed])
    new_links = [
        (f"SYR-2025-{n:04d}", "Russian Aerospace Forces", "initiator") for n in range(1, 41)
    ]
    new_links += [(f"SYR-2025-{n:04d}", "US Air Force", "target") for n in range(1, 41, 2)]
    links = sorted(
        [link for link in links if link[0] != "SYR-2023-0002"]
        + new_links
        + [("SYR-2023-0002", "US Air Force", "initiator")]
    )
    return incidents, links


def test_an_import_adds_changes_and_skips_rows_with_their_history(load_seeds, tmp_path):
    """New rows land with their actors; a changed row gets its new title and actors (the
    old links removed); history records each, under the importing user."""
    path = mixed_file(tmp_path)
    get_user_model().objects.create(username="importer-1")
    before = snapshot()
    succeeded, said = run_import(path, "--user", "importer-1")
    assert succeeded, said
    assert "41 row(s): 40 new, 1 updated, 0 unchanged" in said
    incidents, links, _ = snapshot()
    expected_incidents, expected_links = expected_after_mixed_file(before)
    assert set(incidents) ^ set(expected_incidents) == set()  # names any row that differs
    assert set(links) ^ set(expected_links) == set()
    assert (incidents, links) == (expected_incidents, expected_links)
    kinds = Counter(
        (kind, user)
        for _, _, kind, user in Incident.history.values_list(
            "ref", "title", "history_type", "history_user__username"
        ).filter(history_user__username="importer-1")
    )
    assert kinds == {("+", "importer-1"): 40, ("~", "importer-1"): 1}
    link_kinds = Counter(
        IncidentActor.history.filter(history_user__username="importer-1").values_list(
            "history_type", flat=True
        )
    )
    removed = len([link for link in before[1] if link[0] == "SYR-2023-0002"])
    assert link_kinds == {"+": 40 + 20 + 1, "-": removed}
    # Imported again, nothing changes and nothing is recorded.
    state = table_state()
    succeeded, said = run_import(path, "--user", "importer-1")
    assert "0 new, 0 updated, 41 unchanged" in said
    assert table_state() == state


def test_the_admins_preview_and_confirm_write_what_the_command_writes(
    load_seeds, tmp_path, client_for
):
    path = mixed_file(tmp_path)
    client = client_for("importer")
    before = snapshot()
    preview = client.post(URL, upload(path.read_bytes(), name="mixed.csv"))
    page = preview.content.decode()
    assert snapshot() == before
    kinds = Counter(re.findall(r'class="import-type">\s*(\w+)', page))
    assert kinds == {"New": 40, "Update": 1}
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    confirm = client.post(
        "/admin/incidents/incident/process_import/",
        {k: fields[k] for k in ("import_file_name", "original_file_name", "format", "resource")},
    )
    assert confirm.status_code == 302
    incidents, links, _ = snapshot()
    expected_incidents, expected_links = expected_after_mixed_file(before)
    # the same rows as the command writes, under the admin's user
    assert links == expected_links
    assert [row[:7] for row in incidents] == [row[:7] for row in expected_incidents]
    assert Incident.objects.get(ref="SYR-2025-0001").created_by.username == "importer"
    assert Incident.history.filter(history_user__username="importer").count() == 41
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(user__username="importer").count() == 41


def test_a_problem_late_in_a_long_file_leaves_nothing(load_seeds, tmp_path):
    """Rows are written a chunk at a time, inside one transaction: a bad row after
    several chunks, or a ref repeated chunks apart, still leaves nothing behind."""
    path = tmp_path / "long.csv"
    lines = [HEADER.strip()]
    for n in range(1, 5001):
        lines.append(GOOD.strip().replace("SYR-2025-0100", f"SYR-2024-{n:04d}"))
    lines[4500] = lines[4500].replace("al-Tanf", "Atlantis")  # line 4,501 of the file
    lines[4000] = lines[4000].replace("SYR-2024-4000", "SYR-2024-0009")  # line 4,001
    path.write_text("\n".join(lines) + "\n")
    before = table_state()
    succeeded, said = run_import(path)
    assert not succeeded
    assert "line 4501, column location: Unknown location “Atlantis”" in said
    assert "appears on lines 10, 4001" in said
    assert "2 problem(s); nothing was imported" in said
    assert table_state() == before


def test_a_dry_run_counts_and_writes_nothing(load_seeds, tmp_path):
    path = mixed_file(tmp_path)
    before = table_state()
    succeeded, said = run_import(path, "--dry-run")
    assert succeeded
    assert "40 new, 1 updated, 0 unchanged (dry run: nothing written)" in said
    assert table_state() == before
