"""3. The admin: its changelist with filters and date navigation, and the pages the other
sections drive through it (the import's preview and confirm, the add form)."""

import time

from bench.forms import (
    ADMIN_ADD_URL,
    ADMIN_IMPORT_URL,
    CSRF_FIELD,
    admin_add_data,
    csrf_token,
    form_fields,
)
from bench.harness import local_path, timed_gets

CHANGELIST_URL = "/admin/incidents/incident/"
CHANGELIST_QUERIES = {
    "unfiltered": "",
    "type + year": "incident_type__exact=air_intercept&year=2020",
    "date navigation (month)": "date_start__year=2020&date_start__month=6",
}


def changelist(client, count):
    return {
        name: timed_gets(client, f"{CHANGELIST_URL}?{query}", count)
        for name, query in CHANGELIST_QUERIES.items()
    }


def import_file(client, csv_path):
    """Seconds of the admin's preview of a CSV file, then of its confirm (the changelist it
    leads to included), as an editor goes through them."""
    client.get(ADMIN_IMPORT_URL)
    started = time.perf_counter()
    preview = client.post(
        ADMIN_IMPORT_URL,
        {CSRF_FIELD: csrf_token(client.cookies), "format": "0", "resource": "0"},
        files={"import_file": (csv_path.name, csv_path.read_bytes())},
    )
    preview_s = time.perf_counter() - started
    confirm, errors = form_fields(preview.text, "/process_import/")
    if "import_file_name" not in confirm:
        raise RuntimeError(
            f"the admin's preview (HTTP {preview.status}) offered no confirm: {errors[:3]}"
        )
    started = time.perf_counter()
    done = client.post(CHANGELIST_URL + "process_import/", confirm)
    # a refused confirm leads back to the import page; a done one to the changelist
    if done.status != 302 or done.headers["Location"].rstrip("/").endswith("import"):
        raise RuntimeError(f"the admin's confirm answered {done.status}, not the changelist")
    landed = client.get(local_path(done.headers["Location"]))
    confirm_s = time.perf_counter() - started
    if landed.status != 200:
        raise RuntimeError(f"the changelist after the import answered {landed.status}")
    return preview_s, confirm_s


def add_incident(client, ref):
    """The status of one incident added through the admin's add form (302 when saved)."""
    page = client.get(ADMIN_ADD_URL)
    if page.status != 200:
        return page.status
    return client.post(ADMIN_ADD_URL, admin_add_data(ref, csrf_token(client.cookies))).status
