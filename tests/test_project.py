"""The project as a newcomer meets it: settings, the administrator, the admin pages."""

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_python(code, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serving_with_debug_off_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_python("import config.wsgi", DEBUG="0", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "needs SECRET_KEY and ALLOWED_HOSTS" in result.stderr
    # commands still run from a checkout with nothing set
    assert run_python("import django; django.setup()", VAR_DIR=str(tmp_path)).returncode == 0


def test_production_settings_refuse_to_start_without_allowed_hosts(tmp_path):
    result = run_python(
        "import django; django.setup()", DEBUG="0", SECRET_KEY="x" * 50, VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_a_misspelt_debug_value_is_an_error_not_a_guess(tmp_path):
    result = run_python("import django; django.setup()", DEBUG="maybe", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_local_secret_key_is_generated_once_and_private(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_python(code, DEBUG="1", VAR_DIR=str(tmp_path))
    second = run_python(code, DEBUG="1", VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip(f"SQLite pragmas do not apply to {connection.vendor}")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_ensure_admin_uses_the_given_password_and_keeps_an_existing_account(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long enough passphrase 42")
    call_command("ensure_admin", stdout=io.StringIO())
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("a-long enough passphrase 42")

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "another long passphrase 43")
    call_command("ensure_admin", stdout=io.StringIO())
    admin.refresh_from_db()
    assert admin.check_password("a-long enough passphrase 42")

    # renamed by its owner: the next `make run` does not bring "admin" back
    admin.username = "nadia-root"
    admin.save()
    call_command("ensure_admin", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_ensure_admin_generates_a_private_password_when_none_is_given(
    monkeypatch, settings, tmp_path, capsys
):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    settings.VAR_DIR = tmp_path
    call_command("ensure_admin")
    stored = (tmp_path / "admin-password").read_text().strip()
    assert stored in capsys.readouterr().out
    assert stat.S_IMODE((tmp_path / "admin-password").stat().st_mode) == 0o600
    assert get_user_model().objects.get(username="admin").check_password(stored)


@pytest.mark.django_db
def test_ensure_admin_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin")
    with pytest.raises(CommandError, match="too weak"):
        call_command("ensure_admin")
    assert not get_user_model().objects.exists()


def test_admin_login_page_is_served(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"Password" in response.content


def test_the_seed_incidents_are_on_the_admin_list(load_seeds, admin_client):
    response = admin_client.get("/admin/incidents/incident/")
    assert response.status_code == 200
    assert b"SYR-2023-0002" in response.content
    assert b"Russian forces intercept a US MQ-9 Reaper" in response.content


def test_the_admin_filters_incidents_by_a_related_actor(load_seeds, admin_client):
    from incidents.models import Actor

    hts = Actor.objects.get(short_name="HTS")
    response = admin_client.get("/admin/incidents/incident/", {"actor": hts.pk})
    assert response.status_code == 200
    refs = {i.ref for i in response.context["cl"].result_list}
    assert refs == {"SYR-2024-0001", "SYR-2024-0004", "SYR-2024-0005"}


def test_actor_and_location_filters_search_instead_of_listing(load_seeds, client_for):
    from incidents.models import Actor, Location

    client = client_for("viewer")
    page = client.get("/admin/incidents/incident/").content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in page
    assert page.count("<option") < 60  # not one option per actor or place

    russia = Actor.objects.get(name="Russian Armed Forces")
    response = client.get("/admin/incidents/incident/", {"actor": russia.pk})
    refs = {i.ref for i in response.context["cl"].result_list}
    assert "SYR-2023-0003" in refs  # flown by the Aerospace Forces, a sub-unit
    homs = Location.objects.get(name="Homs Governorate")
    response = client.get("/admin/incidents/incident/", {"location": homs.pk})
    places = {i.location.name for i in response.context["cl"].result_list}
    assert places == {"al-Tanf", "Palmyra", "Syria–Iraq border (south-east)"}


def test_the_autocomplete_answers_a_viewer(load_seeds, client_for):
    response = client_for("viewer").get(
        "/admin/autocomplete/",
        {
            "app_label": "incidents",
            "model_name": "incidentactor",
            "field_name": "actor",
            "term": "Aerospace",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Russian Aerospace Forces"]


def test_date_navigation_narrows_to_a_year(load_seeds, client_for):
    response = client_for("viewer").get("/admin/incidents/incident/", {"date_start__year": 2017})
    assert response.status_code == 200
    refs = {i.ref for i in response.context["cl"].result_list}
    assert refs and all(ref.startswith("SYR-2017-") for ref in refs)


def test_migrations_import_no_app_code():
    """A data migration carries its own frozen values (incidents.roles may change later)."""
    for path in (ROOT / "incidents" / "migrations").glob("0*.py"):
        imports = re.findall(r"^\s*(?:from|import) incidents\b", path.read_text(), flags=re.M)
        assert imports == [], path.name


def test_the_roles_migration_makes_the_groups_roles_py_describes(db):
    from django.contrib.auth.models import Group

    from incidents.roles import GROUP_PERMISSIONS

    for name, codenames in GROUP_PERMISSIONS.items():
        granted = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert granted == set(codenames), name


def test_no_test_module_imports_another():
    """Shared helpers live in tests/helpers.py (and fixtures in conftest.py)."""
    for path in (ROOT / "tests").glob("*.py"):
        found = re.findall(
            r"^\s*from\s+(?:\.|tests\.)(test_\w+|conftest)\s+import",
            path.read_text(),
            flags=re.M,
        )
        assert found == [], path.name
