"""What an import may cost the server, and which upload a confirm may read.

A workbook's parts are sized from its zip directory, and proved to hold no more, before
openpyxl opens it; the admin reads at most IMPORT_MAX_ROWS rows; an upload waits for its
confirm in a private folder, under a name issued to the session that uploaded it, and
goes when it is confirmed, refused or stale.
"""

import io
import os
import re
import secrets
import stat
import struct
import tempfile
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client

from incidents.models import Incident

from .helpers import table_state

URL = "/admin/incidents/incident/import/"
CONFIRM_URL = "/admin/incidents/incident/process_import/"
MIB = 1024 * 1024
HEADER = ["ref", "title", "incident_type", "domain", "date_start"]


def row(n):
    return [f"SYR-2025-{n:04d}", f"Intercept {n}", "air_intercept", "air", "2025-02-03"]


def csv_bytes(rows):
    return "\n".join(",".join(cells) for cells in [HEADER, *rows]).encode() + b"\n"


def workbook_bytes(rows):
    book = openpyxl.Workbook()
    book.active.title = "Incidents"
    for cells in [HEADER, *rows]:
        book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
# A part's XML around its padding: a shared string, and a comment in the theme (a part
# openpyxl unzips whole with ZipFile.read, where it reads shared strings a chunk at a time).
PADDED = {
    "xl/sharedStrings.xml": (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="1" uniqueCount="1"><si><t>',
        b"</t></si></sst>",
    ),
    "xl/theme/theme1.xml": (
        b'<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><!--',
        b"--></a:theme>",
    ),
}


def workbook_padded(unzipped, name="xl/sharedStrings.xml"):
    """A real workbook whose part ``name`` holds ``unzipped`` bytes of one letter,
    deflated as Excel does: a few hundred KB per 200 MiB."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([row(1)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "[Content_Types].xml" and name == "xl/sharedStrings.xml":
                data = data.replace(
                    b"</Types>",
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST}"/>'
                    "</Types>".encode(),
                )
            if part.filename != name:
                bomb.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED)
        padded = zipfile.ZipInfo(name)
        padded.compress_type = zipfile.ZIP_DEFLATED
        head, tail = PADDED[name]
        with bomb.open(padded, "w") as part:
            part.write(head)
            block = b"x" * MIB
            for _ in range(unzipped // MIB):
                part.write(block)
            part.write(tail)
    return out.getvalue()


# Where a central directory entry holds a part's checksum and its uncompressed size.
DIRECTORY_FIELDS = {"crc": 16, "file_size": 24}


def forge_directory(data, name, **fields):
    """The zip with the central directory's entry for ``name`` saying other things."""
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length] == name.encode():
            for field, value in fields.items():
                struct.pack_into("<I", data, at + DIRECTORY_FIELDS[field], value)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


@pytest.fixture(scope="module")
def bomb():
    """206 KB that unzip to 200 MiB, as in the security review."""
    return workbook_padded(200 * MIB)


@pytest.fixture
def openpyxl_opens(monkeypatch):
    """The workbooks openpyxl was asked to open (it refuses them all)."""
    opened = []

    def refuse(source, *args, **kwargs):
        opened.append(source)
        raise AssertionError("openpyxl opened the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    return opened


@pytest.fixture
def imports_dir(settings, tmp_path):
    settings.IMPORT_TMP_DIR = tmp_path / "var" / "imports"
    return settings.IMPORT_TMP_DIR


@pytest.fixture
def importer(client_for, imports_dir):
    return client_for("importer")


def upload(content, name="incidents.csv", fmt=0):
    handle = io.BytesIO(content)
    handle.name = name
    return {"import_file": handle, "format": str(fmt), "resource": "0"}


def preview(client, content, name="incidents.csv", fmt=0):
    """The preview page, and the confirm form's fields when it offers one."""
    page = client.post(URL, upload(content, name, fmt)).content.decode()
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    keys = ("import_file_name", "original_file_name", "format", "resource")
    return page, {k: fields[k] for k in keys} if "import_file_name" in fields else None


def said(response):
    return " ".join(message.message for message in get_messages(response.wsgi_request))


def files_in(folder):
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- workbooks that unzip past the limits -------------------------------------------------


def peak_while(call):
    """What ``call`` returned, and the most memory Python held while it ran, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_before_openpyxl_reads_it_in_flat_memory(
    importer, imports_dir, bomb, openpyxl_opens
):
    assert len(bomb) < 300 * 1024  # the review's file: 206 KB
    before = table_state()

    response, peak = peak_while(lambda: importer.post(URL, upload(bomb, "bomb.xlsx", fmt=1)))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The workbook unzips to 200.0 MiB" in page
    assert "100.0 MiB unzipped (IMPORT_MAX_UNCOMPRESSED_BYTES)" in page
    assert openpyxl_opens == []
    assert peak < 20 * MIB, f"{peak / MIB:.1f} MiB"
    assert 'name="import_file_name"' not in page
    assert files_in(imports_dir) == []
    assert table_state() == before


def test_a_workbook_whose_zip_directory_understates_a_part_is_refused_in_flat_memory(
    importer, imports_dir, bomb, openpyxl_opens
):
    """The theme declares 1 KB and unzips to 200 MiB: within every declared limit, and
    openpyxl would unzip it whole (its sizes unchecked) before finding it forged."""
    forged = forge_directory(
        workbook_padded(200 * MIB, "xl/theme/theme1.xml"), "xl/theme/theme1.xml", file_size=1000
    )
    before = table_state()

    response, peak = peak_while(lambda: importer.post(URL, upload(forged, "bomb.xlsx", fmt=1)))

    page = response.content.decode()
    assert "holds more than the zip directory declares" in page
    assert openpyxl_opens == []
    assert peak < 20 * MIB, f"{peak / MIB:.1f} MiB"
    assert files_in(imports_dir) == []
    assert table_state() == before


def test_a_part_compressed_past_the_ratio_is_refused(importer, imports_dir, openpyxl_opens):
    small_bomb = workbook_padded(20 * MIB)  # under the size limit, 1:1000

    page = importer.post(URL, upload(small_bomb, "bomb.xlsx", fmt=1)).content.decode()

    assert "“xl/sharedStrings.xml” unzips to" in page
    assert "at most 100 times (IMPORT_MAX_ZIP_RATIO)" in page
    assert openpyxl_opens == []
    assert files_in(imports_dir) == []


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 not a zip after all", workbook_bytes([row(1)])[:-40]],
    ids=["not a zip", "cut short"],
)
def test_a_damaged_workbook_is_a_message(importer, imports_dir, content):
    response = importer.post(URL, upload(content, "incidents.xlsx", fmt=1))
    assert response.status_code == 200
    assert "The file is not an Excel workbook (.xlsx)" in response.content.decode()
    assert files_in(imports_dir) == []


def test_a_workbook_part_that_fails_its_checksum_is_a_message(importer, imports_dir):
    damaged = forge_directory(workbook_bytes([row(1)]), "xl/worksheets/sheet1.xml", crc=0x12345678)
    page = importer.post(URL, upload(damaged, "incidents.xlsx", fmt=1)).content.decode()
    assert "sheet1.xml” is damaged (its checksum does not match)" in page
    assert files_in(imports_dir) == []


def test_a_workbook_within_the_limits_imports(importer, imports_dir):
    _, fields = preview(importer, workbook_bytes([row(1), row(2)]), "incidents.xlsx", fmt=1)
    assert fields is not None
    assert importer.post(CONFIRM_URL, fields).status_code == 302
    assert Incident.objects.filter(ref__in=["SYR-2025-0001", "SYR-2025-0002"]).count() == 2


@pytest.mark.parametrize("table", ["incidents", "actors"])
def test_the_command_refuses_a_zip_bomb_before_openpyxl_reads_it(
    db, tmp_path, bomb, openpyxl_opens, table
):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    before = table_state()
    with pytest.raises(CommandError, match="IMPORT_MAX_UNCOMPRESSED_BYTES.*Nothing was imported"):
        call_command("import_incidents", str(path), "--table", table)
    assert openpyxl_opens == []
    assert table_state() == before


# --- rows ----------------------------------------------------------------------------------


def json_bytes(rows):
    import json

    return json.dumps([dict(zip(HEADER, cells, strict=True)) for cells in rows]).encode()


@pytest.mark.parametrize(
    ("write", "name", "fmt"),
    [
        (csv_bytes, "incidents.csv", 0),
        (workbook_bytes, "incidents.xlsx", 1),
        (json_bytes, "i.json", 2),
    ],
    ids=["csv", "xlsx", "json"],
)
def test_a_file_over_the_row_limit_is_refused_naming_the_limit(
    importer, imports_dir, settings, write, name, fmt
):
    settings.IMPORT_MAX_ROWS = 2
    before = table_state()

    page, fields = preview(importer, write([row(n) for n in range(1, 4)]), name, fmt)

    assert fields is None
    assert "more than 2 rows" in page
    assert "(IMPORT_MAX_ROWS)" in page
    assert "manage.py import_incidents" in page
    assert files_in(imports_dir) == []
    assert table_state() == before


def test_a_file_at_the_row_limit_imports(importer, imports_dir, settings):
    settings.IMPORT_MAX_ROWS = 2
    _, fields = preview(importer, csv_bytes([row(1), row(2)]))
    assert importer.post(CONFIRM_URL, fields).status_code == 302
    assert Incident.objects.filter(ref__startswith="SYR-2025-").count() == 2


def test_the_command_is_not_bound_by_the_admins_row_limit(db, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 2
    path = tmp_path / "incidents.xlsx"
    path.write_bytes(workbook_bytes([row(n) for n in range(1, 6)]))
    call_command("import_incidents", str(path), stdout=io.StringIO())
    assert Incident.objects.filter(ref__startswith="SYR-2025-").count() == 5


# --- the confirm step reads only what this session uploaded ------------------------------


@pytest.fixture
def file_in_system_temp():
    """A file of someone else's in the system temp folder, named as an upload would be."""
    path = os.path.join(tempfile.gettempdir(), secrets.token_hex(32))
    with open(path, "wb") as handle:
        handle.write(csv_bytes([row(7)]))
    yield path
    os.remove(path)


def test_a_confirm_naming_a_file_in_the_system_temp_folder_reads_and_removes_nothing(
    importer, file_in_system_temp
):
    before = table_state()
    name = os.path.basename(file_in_system_temp)
    response = importer.post(
        CONFIRM_URL,
        {"import_file_name": name, "original_file_name": "x.csv", "format": "0", "resource": "0"},
    )
    assert response.status_code == 302
    assert "was not uploaded in this session" in said(response)
    with open(file_in_system_temp, "rb") as handle:
        assert handle.read() == csv_bytes([row(7)])
    assert table_state() == before


@pytest.mark.parametrize("same_user", [True, False], ids=["same user", "another importer"])
def test_a_confirm_naming_another_sessions_upload_is_refused_and_leaves_it(
    importer, imports_dir, make_user, django_user_model, same_user
):
    other = Client()
    other.force_login(
        django_user_model.objects.get(username="importer")
        if same_user
        else make_user("importer", username="importer-2")
    )
    content = csv_bytes([row(1)])
    _, theirs = preview(other, content)
    (their_file,) = files_in(imports_dir)
    assert theirs["import_file_name"] == their_file
    before = table_state()

    response = importer.post(CONFIRM_URL, theirs)

    assert response.status_code == 302
    assert "was not uploaded in this session" in said(response)
    assert (imports_dir / their_file).read_bytes() == content
    assert table_state() == before
    assert other.post(CONFIRM_URL, theirs).status_code == 302  # still theirs to confirm
    assert Incident.objects.filter(ref="SYR-2025-0001").exists()


@pytest.mark.parametrize(
    "forge",
    [
        lambda name: "../" + name,
        lambda name: "../imports/" + name,
        lambda name: "imports/" + name,
        lambda name: name.upper(),
        lambda name: name + "\x00",
        lambda name: "../../../../etc/passwd",
        lambda name: "",
    ],
    ids=["../name", "../imports/name", "imports/name", "NAME", "name+NUL", "passwd", "empty"],
)
def test_a_confirm_name_that_is_not_exactly_an_issued_token_is_refused(
    importer, imports_dir, forge
):
    """The name this session was issued, made into a path or altered: refused, and the
    upload stays where it is."""
    content = csv_bytes([row(1)])
    _, fields = preview(importer, content)
    name = fields["import_file_name"]

    response = importer.post(CONFIRM_URL, {**fields, "import_file_name": forge(name)})

    assert response.status_code == 302
    assert "was not uploaded in this session" in said(response)
    assert (imports_dir / name).read_bytes() == content
    assert not Incident.objects.filter(ref="SYR-2025-0001").exists()


def test_an_upload_is_confirmed_once(importer, imports_dir):
    _, fields = preview(importer, csv_bytes([row(1)]))
    assert importer.post(CONFIRM_URL, fields).status_code == 302
    history = Incident.history.count()

    again = importer.post(CONFIRM_URL, fields)

    assert again.status_code == 302
    assert "was not uploaded in this session, or it was already imported" in said(again)
    assert Incident.history.count() == history


def test_a_confirm_in_another_format_than_the_preview_is_refused_and_removes_the_upload(
    importer, imports_dir
):
    _, fields = preview(importer, csv_bytes([row(1)]))
    before = table_state()

    response = importer.post(CONFIRM_URL, {**fields, "format": "2"})

    assert "names another format or table than the preview did" in said(response)
    assert files_in(imports_dir) == []
    assert table_state() == before


# --- the folder: private, and emptied ------------------------------------------------------


def test_the_imports_folder_is_var_imports_and_private(client_for, settings):
    folder = settings.IMPORT_TMP_DIR
    assert folder == settings.VAR_DIR / "imports"
    if folder.exists():
        folder.chmod(0o755)  # made by hand, or by an older version: made private again
    importer = client_for("importer")

    _, fields = preview(importer, csv_bytes([row(1)]))

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    upload_path = folder / fields["import_file_name"]
    assert stat.S_IMODE(upload_path.stat().st_mode) == 0o600
    importer.post(CONFIRM_URL, fields)
    assert not upload_path.exists()


def test_a_refused_upload_leaves_no_file(importer, imports_dir):
    bad_date = [[*row(1)[:4], "2025-02-30"]]
    page, fields = preview(importer, csv_bytes(bad_date))
    assert fields is None and "not a date in the calendar" in page
    assert files_in(imports_dir) == []


def test_a_confirm_refused_by_its_checks_leaves_no_file(importer, imports_dir, make_location):
    """The place the file names is removed between preview and confirm: the confirm's
    checks refuse the file, and the upload goes."""
    place = make_location("Forward Base")
    content = b"ref,title,incident_type,domain,date_start,location\n" + (
        b"SYR-2025-0001,Intercept,air_intercept,air,2025-02-03,Forward Base\n"
    )
    _, fields = preview(importer, content)
    place.delete()
    before = table_state()

    response = importer.post(CONFIRM_URL, fields)

    assert response.status_code == 302
    assert "Unknown location “Forward Base”" in said(response)
    assert "Nothing was imported" in said(response)
    assert files_in(imports_dir) == []
    assert table_state() == before


def test_a_confirmed_import_leaves_no_file(importer, imports_dir):
    _, fields = preview(importer, csv_bytes([row(1)]))
    assert files_in(imports_dir) == [fields["import_file_name"]]
    importer.post(CONFIRM_URL, fields)
    assert Incident.objects.filter(ref="SYR-2025-0001").exists()
    assert files_in(imports_dir) == []


def test_a_stale_upload_is_removed_when_a_new_one_is_stored(importer, imports_dir, settings):
    imports_dir.mkdir(parents=True, mode=0o700)
    stale, fresh = secrets.token_hex(32), secrets.token_hex(32)
    for name in (stale, fresh, "notes.txt"):
        (imports_dir / name).write_bytes(b"ref\n")
    a_day_ago = time.time() - settings.IMPORT_TMP_MAX_AGE - 60
    for name in (stale, "notes.txt"):
        os.utime(imports_dir / name, (a_day_ago, a_day_ago))

    _, fields = preview(importer, csv_bytes([row(1)]))

    # not a name the server issues: not the server's to remove
    assert files_in(imports_dir) == sorted([fresh, "notes.txt", fields["import_file_name"]])


def test_a_session_keeps_its_latest_uploads_and_the_older_are_removed(importer, imports_dir):
    names = [preview(importer, csv_bytes([row(n)]))[1]["import_file_name"] for n in range(12)]
    assert files_in(imports_dir) == sorted(names[2:])
    assert "was not uploaded" in said(importer.post(CONFIRM_URL, {"import_file_name": names[0]}))
