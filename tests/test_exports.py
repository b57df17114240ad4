"""The list's exports: exactly the page's rows, in its order, read back by analysts' tools."""

import csv
import datetime
import io
import json

import openpyxl
import pandas
import pyogrio
import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import export_file, exports
from incidents.exports import CONTRACT_COLUMNS, EXPORT_COLUMNS
from incidents.models import (
    Actor,
    Aircraft,
    Incident,
    IncidentActor,
    Location,
    Source,
)
from incidents.resources import IncidentResource

CONTRACT = [
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
    "latitude",
    "longitude",
    "admin1",
    "country",
    "initiators",
    "targets",
    "other_actors",
    "aircraft",
    "deconfliction_channel_used",
    "fatalities_best",
    "summary",
    "sources",
    "url",
    "updated_at",
]


def body(response):
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def export(client, file_format, query=""):
    return client.get(reverse("incidents:export", args=[file_format]) + "?" + query)


def csv_rows(data):
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture
def viewer(client_for):
    return client_for("viewer")


def test_the_contract_columns_come_first_in_order():
    assert list(CONTRACT_COLUMNS) == CONTRACT
    assert list(EXPORT_COLUMNS) == list(IncidentResource().get_export_order())


# --- one exact file --------------------------------------------------------------------


@pytest.fixture
def one_incident(db, settings):
    """One incident with every kind of cell: several values, a quote, a formula, unicode."""
    settings.SITE_URL = "https://incidents.example.org"
    russia = Actor.objects.create(name="Russian Armed Forces", kind="state_forces", country="RU")
    vks = Actor.objects.create(
        name="Russian Aerospace Forces", kind="state_forces", country="RU", parent=russia
    )
    usaf = Actor.objects.create(name="US Air Force", kind="state_forces", country="US")
    cjtf = Actor.objects.create(name="CJTF-OIR", kind="coalition")
    tanf = Location.objects.create(
        name="al-Tanf",
        kind="garrison",
        latitude=33.4978,
        longitude=38.6183,
        admin1="Homs",
        country="SY",
    )
    reaper = Aircraft.objects.create(designation="MQ-9 Reaper", role="uav", crewed=False)
    su35 = Aircraft.objects.create(designation="Su-35", role="fighter", crewed=True)
    source = Source.objects.create(title="ISW, 2023", reliability="C")
    other = Source.objects.create(title="“Pentagon” briefing", reliability="B")
    incident = Incident.objects.create(
        ref="SYR-2023-0099",
        title='Su-35s "harass" an MQ-9',
        summary='=HYPERLINK("http://evil")\nsecond line – with an en dash',
        incident_type="air_intercept",
        domain="air",
        date_start=datetime.date(2023, 7, 23),
        date_end=datetime.date(2023, 7, 23),
        location=tanf,
        status="confirmed",
        risk_tier="serious",
        deconfliction_channel_used="yes",
        fatalities_best=0,
    )
    for actor, role in ((vks, "initiator"), (usaf, "target"), (cjtf, "participant")):
        incident.incident_actors.create(actor=actor, role=role)
    incident.incident_aircraft.create(aircraft=su35, role="intercepting", operator=vks, count=2)
    incident.incident_aircraft.create(aircraft=reaper, role="intercepted", operator=usaf)
    incident.incident_sources.create(source=source, excerpt="harassing", credibility=2)
    incident.incident_sources.create(source=other, excerpt="unsafe", credibility=3)
    stamp = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    Incident.objects.filter(pk=incident.pk).update(updated_at=stamp)
    return incident


EXPECTED_CSV = (
    '"ref","title","incident_type","domain","date_start","date_end","date_precision",'
    '"status","risk_tier","location","latitude","longitude","admin1","country","initiators",'
    '"targets","other_actors","aircraft","deconfliction_channel_used","fatalities_best",'
    '"summary","sources","url","updated_at","location_precision","us_safety",'
    '"us_professionalism","fatalities_low","fatalities_high","participants","supporting",'
    '"mediators"\r\n'
    '"SYR-2023-0099","Su-35s ""harass"" an MQ-9","air_intercept","air","2023-07-23",'
    '"2023-07-23","day","confirmed","serious","al-Tanf","33.4978","38.6183","Homs","SY",'
    '"Russian Aerospace Forces","US Air Force","CJTF-OIR","MQ-9 Reaper; Su-35","yes","0",'
    '"\'=HYPERLINK(""http://evil"")\nsecond line – with an en dash",'
    '"ISW, 2023 (C2); “Pentagon” briefing (B3)",'
    '"https://incidents.example.org/incidents/SYR-2023-0099/","2024-01-02T03:04:05Z",'
    '"exact","unknown","unknown","","","CJTF-OIR","",""\r\n'
)


def test_one_export_byte_for_byte(one_incident, viewer):
    data = body(export(viewer, "csv", "actor=Russian Armed Forces"))
    assert data == EXPECTED_CSV.encode("utf-8")


# --- the page's rows, and only those ---------------------------------------------------

ACTORS = ["Russian Armed Forces", "Russian Aerospace Forces", "US Air Force", "Syrian Arab Army"]
PLACES = ["Syria", "Homs Governorate", "al-Tanf", "Deir ez-Zor Governorate", "Raqqa"]
filters = st.fixed_dictionaries(
    {},
    optional={
        "incident_type": st.lists(
            st.sampled_from(["air_intercept", "ground_offensive", "withdrawal", "negotiation"]),
            max_size=2,
        ),
        "status": st.lists(st.sampled_from(["reported", "confirmed", "disputed"]), max_size=2),
        "risk_tier": st.lists(st.sampled_from(["serious", "not_assessed"]), max_size=1),
        "actor": st.lists(st.sampled_from(ACTORS), max_size=2),
        "actor_role": st.lists(st.sampled_from(["initiator", "target"]), max_size=1),
        "country": st.lists(st.sampled_from(["RU", "US", "SY"]), max_size=1),
        "aircraft": st.lists(st.sampled_from(["MQ-9 Reaper", "Su-35"]), max_size=1),
        "location": st.lists(st.sampled_from(PLACES), max_size=2),
        "near": st.sampled_from(["al-Tanf", "Deir ez-Zor"]).map(lambda v: [v]),
        "km": st.sampled_from(["10", "55", "250"]).map(lambda v: [v]),
        "date_after": st.dates(datetime.date(2013, 1, 1), datetime.date(2025, 1, 1)).map(
            lambda d: [d.isoformat()]
        ),
        "q": st.sampled_from(["Russia", "drone", '"Deir ez-Zor"', "SDF ISIS"]).map(lambda v: [v]),
        "ordering": st.sampled_from(["-date", "date", "ref", "-risk"]).map(lambda v: [v]),
    },
)


def query_of(params):
    if "km" in params and "near" not in params:
        params = {**params, "near": ["al-Tanf"]}
    if "near" in params and "km" not in params:
        params = {**params, "km": ["55"]}
    query = QueryDict(mutable=True)
    for name, values in params.items():
        query.setlist(name, values)
    return query.urlencode()


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=filters)
def test_every_export_holds_exactly_the_pages_rows_in_its_order(load_seeds, viewer, params):
    query = query_of(params)
    page = viewer.get(reverse("incidents:list") + "?" + query)
    assert page.status_code == 200
    assert page.context["page"].paginator.num_pages == 1
    shown = [incident.ref for incident in page.context["incidents"]]

    assert [row["ref"] for row in csv_rows(body(export(viewer, "csv", query)))] == shown
    assert [row["ref"] for row in json.loads(body(export(viewer, "json", query)))] == shown
    features = json.loads(body(export(viewer, "geojson", query)))["features"]
    assert [feature["properties"]["ref"] for feature in features] == shown
    sheet = openpyxl.load_workbook(io.BytesIO(body(export(viewer, "xlsx", query)))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == shown


def test_an_invalid_filter_exports_nothing_and_says_why(load_seeds, viewer):
    for file_format in ("csv", "xlsx", "json", "geojson"):
        response = export(viewer, file_format, "actor=Rusia&date_after=2023-02-30")
        assert response.status_code == 400
        text = response.content.decode()
        assert "Unknown actor “Rusia”" in text and "date_after" in text
        assert "SYR-" not in text


# --- read back by the tools analysts use -----------------------------------------------


def test_csv_reads_back_in_csv_and_pandas_with_the_screens_rows(load_seeds, viewer):
    query = "incident_type=air_intercept&actor=Russian Armed Forces&actor_role=initiator"
    shown = [
        i.ref for i in viewer.get(reverse("incidents:list") + "?" + query).context["incidents"]
    ]
    data = body(export(viewer, "csv", query))
    rows = csv_rows(data)
    assert list(rows[0])[:24] == CONTRACT
    assert [row["ref"] for row in rows] == shown == ["SYR-2023-0002", "SYR-2023-0001"]
    frame = pandas.read_csv(io.BytesIO(data), parse_dates=["date_start", "date_end"])
    assert list(frame["ref"]) == shown
    assert list(frame.columns[:24]) == CONTRACT
    assert str(frame["date_start"].dtype).startswith("datetime64")
    assert frame["latitude"].dtype == "float64"
    reaper = frame.set_index("ref").loc["SYR-2023-0002"]
    assert reaper["aircraft"] == "MQ-9 Reaper"
    assert reaper["initiators"] == "Russian Armed Forces"


def test_xlsx_opens_with_typed_dates_and_one_frozen_header(load_seeds, viewer):
    data = body(export(viewer, "xlsx", "near=al-Tanf"))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["incidents"]
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:24] == CONTRACT
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in rows) == ["SYR-2023-0003", "SYR-2023-0004"]
    start = rows[0][header.index("date_start")]
    assert isinstance(start, datetime.datetime) and start.date() == datetime.date(2023, 3, 1)
    assert isinstance(rows[0][header.index("latitude")], float)
    frame = pandas.read_excel(io.BytesIO(data))
    assert len(frame) == 2


def test_geojson_reads_in_gdal_as_points_at_the_incidents_places(load_seeds, viewer, tmp_path):
    path = tmp_path / "incidents.geojson"
    path.write_bytes(body(export(viewer, "geojson", "near=al-Tanf")))
    info = pyogrio.read_info(path)
    assert info["geometry_type"] == "Point"
    assert info["features"] == 2
    assert info["crs"] in ("EPSG:4326", "OGC:CRS84")
    meta, fids, geometry, fields = pyogrio.raw.read(path, return_fids=True)
    names = list(meta["fields"])
    assert names[:24] == CONTRACT
    refs = sorted(fields[names.index("ref")])
    assert refs == ["SYR-2023-0003", "SYR-2023-0004"]
    document = json.loads(path.read_bytes())
    assert document["type"] == "FeatureCollection"
    assert document["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [38.6183, 33.4978],
    }


def test_an_incident_without_coordinates_keeps_its_row_with_no_geometry(load_seeds, viewer):
    features = json.loads(body(export(viewer, "geojson", "location=Syria")))["features"]
    assert any(f["geometry"] is not None for f in features)
    Location.objects.filter(name="al-Tanf").update(latitude=None, longitude=None)
    features = json.loads(body(export(viewer, "geojson", "location=al-Tanf")))["features"]
    assert [f["geometry"] for f in features] == [None, None]


def test_every_text_cell_is_defused_in_every_format(one_incident, viewer):
    title = "@SUM(1+1)*cmd|' /C calc'!A0"
    Incident.objects.filter(pk=one_incident.pk).update(title=title)
    for file_format in ("csv", "json", "geojson", "xlsx"):
        data = body(export(viewer, file_format))
        if file_format == "csv":
            cell = csv_rows(data)[0]["title"]
        elif file_format == "json":
            cell = json.loads(data)[0]["title"]
        elif file_format == "geojson":
            cell = json.loads(data)["features"][0]["properties"]["title"]
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(data)).active
            assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
            cell = sheet.cell(row=2, column=2).value
        assert cell == "'" + title, file_format


# --- manifest, file name, command ------------------------------------------------------


def test_every_export_carries_a_manifest(load_seeds, viewer):
    before = timezone.now().replace(microsecond=0)
    response = export(viewer, "csv", "country=ru&actor_role=initiator&incident_type=air_intercept")
    body(response)
    manifest = json.loads(response["X-Export-Manifest"])
    assert manifest["rows"] == 2 == int(response["X-Export-Rows"])
    assert manifest["filter"] == {
        "incident_type": ["air_intercept"],
        "actor_role": ["initiator"],
        "country": ["RU"],
    }
    assert manifest["query"] == "incident_type=air_intercept&actor_role=initiator&country=RU"
    assert manifest["schema_version"] == "1"
    assert manifest["columns"][:24] == CONTRACT
    assert manifest["summary"] == "2 air intercepts with actors from RU as initiator"
    generated = datetime.datetime.fromisoformat(manifest["generated_at"].replace("Z", "+00:00"))
    assert generated >= before
    assert response["Content-Disposition"] == (
        'attachment; filename="air-intercepts-with-actors-from-ru-as-initiator.csv"'
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json", "geojson"])
def test_the_command_writes_the_same_bytes_as_the_web(load_seeds, viewer, tmp_path, file_format):
    query = "location=Deir ez-Zor Governorate&ordering=ref"
    response = export(viewer, file_format, query)
    web = body(response)
    output, manifest = tmp_path / f"out.{file_format}", tmp_path / "manifest.json"
    call_command(
        "export_incidents",
        format=file_format,
        query=query,
        output=str(output),
        manifest=str(manifest),
        stderr=io.StringIO(),
    )
    assert output.read_bytes() == web
    written = json.loads(manifest.read_text())
    assert written["rows"] == int(response["X-Export-Rows"]) == 5
    assert written["filter"] == {"location": ["Deir ez-Zor Governorate"], "ordering": ["ref"]}


def test_the_command_refuses_an_invalid_filter_and_writes_nothing(load_seeds, tmp_path):
    from django.core.management.base import CommandError

    output = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="Unknown location “Atlantis”"):
        call_command("export_incidents", query="location=Atlantis", output=str(output))
    assert not output.exists()


def test_an_xlsx_too_long_for_excel_is_refused_with_the_reason(load_seeds, viewer, monkeypatch):
    monkeypatch.setattr(export_file, "XLSX_MAX_ROWS", 10)  # Excel's own limit, made small
    response = export(viewer, "xlsx")
    assert response.status_code == 400
    assert "export CSV" in response.content.decode()
    assert body(export(viewer, "csv"))


# --- cost --------------------------------------------------------------------------------


def export_queries(client, file_format):
    with CaptureQueriesContext(connection) as queries:
        body(export(client, file_format, "incident_type=air_intercept"))
    return len(queries)


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json", "geojson"])
def test_export_query_count_does_not_grow_with_rows(viewer, make_incident, make_actor, file_format):
    actor = make_actor("Some Air Force")
    for number in range(10):
        make_incident(f"SYR-2022-{number:04d}", actors=[(actor, "initiator")])
    body(export(viewer, "csv"))  # session and permissions (an open stream holds the slot)
    small = export_queries(viewer, file_format)
    for number in range(10, 1500):
        make_incident(f"SYR-2022-{number:04d}", actors=[(actor, "initiator")])
    assert export_queries(viewer, file_format) == small
    assert IncidentActor.objects.count() == 1500


def test_export_reads_each_chunk_in_a_fixed_number_of_queries(make_incident, make_actor):
    """The incidents are read by one query, and each chunk costs one query per related
    table (actors, aircraft, citations), whatever its length: 30 incidents in chunks of 10
    take three queries more than in chunks of 15, and every row is read once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = make_actor("Some Air Force")
    for number in range(30):
        make_incident(f"SYR-2022-{number:04d}", actors=[(actor, "target")])
    queryset = Incident.objects.order_by("ref")

    def read(chunk_size):
        with CaptureQueriesContext(connection) as captured:
            rows = [row for chunk in exports.incident_rows(queryset, chunk_size) for row in chunk]
        return len(captured), rows

    three_chunks, rows_by_ten = read(10)
    two_chunks, rows_by_fifteen = read(15)
    assert three_chunks - two_chunks == 3  # actors, aircraft, citations: per chunk
    assert rows_by_ten == rows_by_fifteen and len(rows_by_ten) == 30
