"""Who may do what in the admin: one matrix, every role, every URL, GET and POST."""

import datetime
import io

import pytest

from incidents.models import Incident

from .helpers import incident_form, signed_version, table_state

ROLES = ["anonymous", "viewer", "editor", "importer", "administrator"]
BASE = "/admin/incidents/incident/"


def import_file():
    csv = (
        "ref,title,incident_type,domain,date_start\n"
        "SYR-2025-0077,Imported intercept,air_intercept,air,2025-02-03\n"
    )
    upload = io.BytesIO(csv.encode())
    upload.name = "incidents.csv"
    return {"import_file": upload, "format": "0", "resource": "0"}


# (name, method, url, body) -> expected status for each role in ROLES order.
# 302 for anonymous is the redirect to the login page.
MATRIX = [
    ("changelist", "get", "", None, [302, 200, 200, 200, 200]),
    ("add", "get", "add/", None, [302, 403, 200, 200, 200]),
    ("add", "post", "add/", "new", [302, 403, 302, 302, 302]),
    ("change", "get", "{pk}/change/", None, [302, 200, 200, 200, 200]),
    ("change", "post", "{pk}/change/", "edit", [302, 403, 302, 302, 302]),
    ("delete", "get", "{pk}/delete/", None, [302, 403, 403, 403, 200]),
    ("delete", "post", "{pk}/delete/", "confirm", [302, 403, 403, 403, 302]),
    ("history", "get", "{pk}/history/", None, [302, 200, 200, 200, 200]),
    ("import", "get", "import/", None, [302, 403, 403, 200, 200]),
    ("import", "post", "import/", "file", [302, 403, 403, 200, 200]),
    # a confirm naming no uploaded file: refused, or sent back to the import page
    ("confirm import", "post", "process_import/", "confirm", [302, 403, 403, 302, 302]),
    ("export", "get", "export/", None, [302, 200, 200, 200, 200]),
    ("export", "post", "export/", "export", [302, 200, 200, 200, 200]),
]


def body_for(kind, incident):
    if kind == "new":
        return incident_form()
    if kind == "edit":
        return incident_form(
            ref=incident.ref,
            title="Changed by a refused request?",
            version=signed_version(incident),
        )
    if kind == "confirm":
        return {
            "post": "yes",
            "import_file_name": "nothing",
            "original_file_name": "x.csv",
            "format": "0",
            "resource": "0",
        }
    if kind == "file":
        return import_file()
    if kind == "export":
        return {"format": "0", "resource": "0", "incidentresource_ref": "on"}
    return None


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "expected"), MATRIX, ids=[f"{m[0]}-{m[1]}" for m in MATRIX]
)
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_permission_matrix(
    make_incident, client_for, name, method, path, body, expected, role_index
):
    incident = make_incident(ref="SYR-2024-0100", date_start=datetime.date(2024, 1, 5))
    client = client_for(ROLES[role_index])
    url = BASE + path.format(pk=incident.pk)
    before = table_state()
    data = body_for(body, incident)

    response = (
        getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    )

    assert response.status_code == expected[role_index], (ROLES[role_index], name, method)
    if ROLES[role_index] == "anonymous":
        assert "/admin/login/" in response["Location"]
    refused = expected[role_index] in (302, 403) and (
        ROLES[role_index] == "anonymous" or expected[role_index] == 403
    )
    if refused or method == "get" or name in ("import", "export", "confirm import"):
        # refused, read-only, a preview (dry run) or an export: nothing may change
        assert table_state() == before, (ROLES[role_index], name, method)


@pytest.mark.parametrize("role", ["editor", "importer", "administrator"])
def test_permitted_edits_land(make_incident, client_for, role):
    incident = make_incident(ref="SYR-2024-0100")
    client = client_for(role)
    client.post(BASE + "add/", incident_form())
    client.post(
        BASE + f"{incident.pk}/change/",
        incident_form(ref=incident.ref, title="Renamed", version=signed_version(incident)),
    )
    assert Incident.objects.filter(ref="SYR-2025-0001").exists()
    assert Incident.objects.get(pk=incident.pk).title == "Renamed"


def test_only_the_administrator_deletes(make_incident, client_for):
    incident = make_incident()
    client_for("administrator").post(BASE + f"{incident.pk}/delete/", {"post": "yes"})
    assert not Incident.objects.filter(pk=incident.pk).exists()


def test_a_view_only_user_cannot_import_through_any_url(client_for, db):
    client = client_for("viewer")
    for model in (
        "incident",
        "actor",
        "location",
        "aircraft",
        "source",
        "incidentaircraft",
        "incidentsource",
    ):
        for path in ("import/", "process_import/"):
            assert client.post(f"/admin/incidents/{model}/{path}", import_file()).status_code == 403


def test_the_viewer_sees_no_import_button(client_for, db):
    page = client_for("viewer").get(BASE).content.decode()
    assert "/import/" not in page
    page = client_for("importer").get(BASE).content.decode()
    assert "/import/" in page
