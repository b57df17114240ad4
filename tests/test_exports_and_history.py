"""Exports defuse formulas on every format; round trips change nothing; every change
leaves history, a dry run none."""

import csv
import datetime
import io
import json
import unicodedata

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.formats import CSV, JSON, XLSX
from incidents.incident_file import RESOURCES, IncidentFileResource
from incidents.models import Incident, IncidentActor
from incidents.widgets import FORMULA_TRIGGERS

from .helpers import GOOD, HEADER, MODELS, delete_all, incident_form, signed_version, upload


def exported_cells(file_format, dataset):
    """Every cell of an export as the analyst's tool reads it back."""
    data = file_format.export_data(dataset)
    if isinstance(file_format, CSV):
        return [cell for row in csv.reader(io.StringIO(data)) for cell in row]
    if isinstance(file_format, XLSX):
        book = openpyxl.load_workbook(io.BytesIO(data))
        sheet = book.active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        return [cell.value for row in sheet.iter_rows() for cell in row]
    return [value for row in json.loads(data) for value in row.values()]


# A trigger first, or a sign after blanks a spreadsheet may skip, in full width too.
BLANKS = " \u00a0\u3000\u200b\ufeff\u2060"
dangerous_text = st.one_of(
    st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(FORMULA_TRIGGERS),
        st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40),
    ),
    st.builds(
        lambda blanks, sign, rest: blanks + sign + rest,
        st.text(alphabet=BLANKS, min_size=1, max_size=3),
        st.sampled_from(["=", "+", "-", "@", "＝", "＋", "－", "＠"]),
        st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40),
    ),
)


def runnable(cell):
    """A cell a spreadsheet could run: a trigger first, or a sign after the blanks."""
    visible = unicodedata.normalize("NFKC", cell).lstrip(BLANKS)
    return cell.startswith(FORMULA_TRIGGERS) or visible.startswith(("=", "+", "-", "@"))


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=dangerous_text, summary=dangerous_text)
def test_every_export_format_defuses_formulas(title, summary):
    Incident.objects.all().delete()
    Incident.objects.create(
        ref="SYR-2023-0001",
        title=title,
        summary=summary,
        incident_type="air_intercept",
        domain="air",
        date_start=datetime.date(2023, 1, 1),
        date_end=datetime.date(2023, 1, 1),
    )
    dataset = IncidentFileResource().export()
    for file_format in (CSV(), XLSX(), JSON()):
        cells = [c for c in exported_cells(file_format, dataset) if isinstance(c, str)]
        for cell in cells:
            assert not runnable(cell), (type(file_format).__name__, cell)
        # the title and the summary are both there, made inert
        assert sum(cell.startswith("'") for cell in cells) >= 2, type(file_format).__name__


def test_xlsx_keeps_dates_and_numbers_typed(load_seeds):
    data = XLSX().export_data(IncidentFileResource().export())
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert isinstance(row[header.index("date_start")], datetime.datetime)
    assert isinstance(row[header.index("latitude")], float)


def comparable():
    """All rows by natural key, without the record-keeping fields an import sets."""
    out = io.StringIO()
    labels = [f"incidents.{m._meta.model_name}" for m in MODELS]
    call_command("dumpdata", *labels, natural_foreign=True, natural_primary=True, stdout=out)
    rows = json.loads(out.getvalue())
    for row in rows:
        for key in ("created_at", "updated_at", "created_by", "updated_by", "version"):
            row["fields"].pop(key, None)
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


@pytest.mark.parametrize("file_format", [CSV(), XLSX(), JSON()], ids=["csv", "xlsx", "json"])
def test_export_then_import_changes_nothing(load_seeds, file_format):
    before = comparable()
    history_before = Incident.history.count()
    for name, resource_class in RESOURCES.items():
        data = file_format.export_data(resource_class().export())
        data = data.encode() if isinstance(data, str) else data
        result = resource_class().import_data(file_format.create_dataset(data))
        assert not result.has_errors() and not result.has_validation_errors(), name
        assert result.totals["new"] == result.totals["update"] == 0, name
    assert comparable() == before
    assert Incident.history.count() == history_before


def test_an_export_of_the_seeds_rebuilds_them_in_an_empty_database(load_seeds):
    before = comparable()
    files = {name: CSV().export_data(r().export()).encode() for name, r in RESOURCES.items()}
    for model in reversed(MODELS):
        delete_all(model)
    assert not Incident.objects.exists()

    for name, resource_class in RESOURCES.items():
        result = resource_class().import_data(CSV().create_dataset(files[name]))
        assert not result.has_errors() and not result.has_validation_errors(), name

    assert comparable() == before


def test_admin_edit_records_who_changed_what(load_seeds, client_for):
    incident = Incident.objects.get(ref="SYR-2023-0002")
    client = client_for("editor")
    client.post(
        f"/admin/incidents/incident/{incident.pk}/change/",
        incident_form(
            ref=incident.ref,
            title="MQ-9 intercepted (retitled)",
            version=signed_version(incident),
        ),
    )
    latest = incident.history.latest()
    assert latest.history_user.username == "editor"
    assert latest.title == "MQ-9 intercepted (retitled)"
    assert latest.history_type == "~"
    page = client.get(f"/admin/incidents/incident/{incident.pk}/history/").content.decode()
    assert "editor" in page


def test_one_form_adds_an_incident_with_two_actors_an_aircraft_and_a_source(load_seeds, client_for):
    from incidents.models import Actor, Aircraft, Source

    vks, usaf = Actor.objects.get(short_name="VKS"), Actor.objects.get(short_name="USAF")
    data = incident_form(
        **{
            "incident_actors-TOTAL_FORMS": "2",
            "incident_actors-0-actor": vks.pk,
            "incident_actors-0-role": "initiator",
            "incident_actors-1-actor": usaf.pk,
            "incident_actors-1-role": "target",
            "incident_aircraft-TOTAL_FORMS": "1",
            "incident_aircraft-0-aircraft": Aircraft.objects.get(designation="MQ-9 Reaper").pk,
            "incident_aircraft-0-role": "intercepted",
            "incident_aircraft-0-operator": usaf.pk,
            "incident_aircraft-0-count": "1",
            "incident_sources-TOTAL_FORMS": "1",
            "incident_sources-0-source": Source.objects.get(seed_file__startswith="000").pk,
            "incident_sources-0-excerpt": "a US MQ-9 Reaper drone was intercepted",
            "incident_sources-0-credibility": "2",
        }
    )
    response = client_for("editor").post("/admin/incidents/incident/add/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    incident = Incident.objects.get(ref="SYR-2025-0001")
    assert {(a.actor.short_name, a.role) for a in incident.incident_actors.all()} == {
        ("VKS", "initiator"),
        ("USAF", "target"),
    }
    assert incident.incident_aircraft.get().operator == usaf
    assert incident.incident_sources.get().grade == "C2"
    assert incident.created_by.username == "editor"
    assert IncidentActor.history.filter(history_user__username="editor").count() == 2


def test_validation_errors_name_the_field_and_the_reason(load_seeds, client_for):
    response = client_for("editor").post(
        "/admin/incidents/incident/add/",
        incident_form(date_start="2025-03-02", date_end="2025-03-01", ref="SYR-25-1"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in page
    assert "A reference looks like SYR-2023-0004" in page


def test_admin_import_records_history_and_the_preview_does_not(load_seeds, client_for):

    client = client_for("importer")
    history_before = Incident.history.count()
    preview = client.post("/admin/incidents/incident/import/", upload((HEADER + GOOD).encode()))
    assert Incident.history.count() == history_before  # the dry run left nothing

    import re

    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', preview.content.decode()))
    client.post(
        "/admin/incidents/incident/process_import/",
        {k: fields[k] for k in ("import_file_name", "original_file_name", "format", "resource")},
    )
    record = Incident.history.get(ref="SYR-2025-0100")
    assert record.history_type == "+" and record.history_user.username == "importer"


def test_command_import_records_history_and_dry_run_does_not(load_seeds, make_user, tmp_path):

    make_user("importer", "ingrid")
    path = tmp_path / "new.csv"
    path.write_text(HEADER + GOOD)
    history_before = Incident.history.count()

    call_command(
        "import_incidents", str(path), "--dry-run", "--user", "ingrid", stdout=io.StringIO()
    )
    assert Incident.history.count() == history_before
    assert not Incident.objects.filter(ref="SYR-2025-0100").exists()

    call_command("import_incidents", str(path), "--user", "ingrid", stdout=io.StringIO())
    record = Incident.history.get(ref="SYR-2025-0100")
    assert record.history_user.username == "ingrid"
    assert record.history_change_reason == "import_incidents new.csv"


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/incidents/incident/")
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_rows(
    client_for, make_incident, make_actor, make_location
):
    client = client_for("viewer")
    actor = make_actor()

    def add(n):
        for _ in range(n):
            make_incident(location=make_location(), actors=[(actor, "initiator")])

    add(10)
    ten = changelist_queries(client)
    add(190)
    assert changelist_queries(client) == ten


def test_add_analyst_creates_and_updates_one_role(db, monkeypatch):
    from django.contrib.auth import get_user_model

    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase 42\n"))
    call_command(
        "add_analyst", "nadia", "--role", "viewer", "--password-stdin", stdout=io.StringIO()
    )
    user = get_user_model().objects.get(username="nadia")
    assert [g.name for g in user.groups.all()] == ["Viewer"] and user.check_password(
        "a long passphrase 42"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase 43\n"))
    call_command(
        "add_analyst", "nadia", "--role", "importer", "--password-stdin", stdout=io.StringIO()
    )
    user.refresh_from_db()
    assert [g.name for g in user.groups.all()] == ["Importer"]
    assert user.has_perm("incidents.import_incident") and not user.has_perm(
        "incidents.delete_incident"
    )


def test_add_analyst_refuses_a_weak_password(db, monkeypatch):
    from django.contrib.auth import get_user_model
    from django.core.management import CommandError

    monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))
    with pytest.raises(CommandError, match="Password refused"):
        call_command("add_analyst", "nadia", "--role", "viewer", "--password-stdin")
    assert not get_user_model().objects.filter(username="nadia").exists()


def test_repeated_wrong_passwords_lock_the_username_from_that_address(make_user, client):
    make_user("viewer", "vera")
    for _ in range(5):
        client.post("/admin/login/", {"username": "vera", "password": "wrong"})
    locked = client.post(
        "/admin/login/?next=/admin/", {"username": "vera", "password": "a long passphrase 42"}
    )
    assert locked.status_code == 429
    # another analyst, and the same analyst from another address, still get in
    make_user("editor", "eddie")
    other = client.post("/admin/login/", {"username": "eddie", "password": "a long passphrase 42"})
    assert other.status_code == 302
    from django.test import Client

    elsewhere = Client(REMOTE_ADDR="10.0.0.9").post(
        "/admin/login/", {"username": "vera", "password": "a long passphrase 42"}
    )
    assert elsewhere.status_code == 302
