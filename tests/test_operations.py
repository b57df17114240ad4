"""Production posture: the deploy checks, the headers, and a busy database as a clear 503."""

import json
import os
import secrets
import sqlite3
import subprocess
import sys

import pytest
from django.db import OperationalError, connection

from .helpers import ROOT, form_fields

HEADERS_SCRIPT = """
import json
from django.test import Client
c = Client(HTTP_HOST="incidents.example.org", HTTP_X_FORWARDED_PROTO="https")
r = c.get("/accounts/login/")
plain = Client(HTTP_HOST="incidents.example.org").get("/accounts/login/")
print(json.dumps({"status": r.status_code, "headers": dict(r.headers),
                  "cookies": {k: dict(v) for k, v in r.cookies.items()},
                  "plain": [plain.status_code, plain.get("Location", "")]}))
"""


def production_env(tmp_path, **extra):
    """Only what a production host sets: no DEBUG, a key, the host names."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "incidents.example.org",
        "VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        **extra,
    }


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_deploy_checks_pass_with_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_production_answers_carry_the_security_headers(tmp_path):
    env = production_env(tmp_path)
    assert manage(env, "migrate", "--noinput", "-v0").returncode == 0
    assert manage(env, "collectstatic", "--noinput", "-v0").returncode == 0
    result = manage(env, "shell", "-c", HEADERS_SCRIPT)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    headers = answer["headers"]
    assert answer["status"] == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert answer["cookies"]["csrftoken"]["secure"]
    # Plain HTTP is sent to HTTPS.
    assert answer["plain"] == [301, "https://incidents.example.org/accounts/login/"]


def test_a_locked_database_is_a_503_that_says_nothing_was_saved(load_seeds, client_for):
    """A view that meets "database is locked" (a writer held the lock past the busy
    timeout) answers 503 with Retry-After and a sentence, not a 500."""
    client = client_for("viewer")
    from incidents import views

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    original = views.IncidentListView.get
    views.IncidentListView.get = locked
    try:
        response = client.get("/incidents/")
    finally:
        views.IncidentListView.get = original
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Nothing was saved by this request" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
@pytest.mark.django_db(transaction=True)
def test_an_edit_behind_a_held_write_lock_gets_the_503(load_seeds, client_for):
    """Another process holds SQLite's write lock (as a long import does); the editor's
    save waits for the busy timeout, then gets the 503 page, and nothing is half-written."""
    from incidents.models import Incident

    client = client_for("editor")
    incident = Incident.objects.get(ref="SYR-2023-0002")
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    form = form_fields(client.get(url).content, "incident_form")  # a valid edit
    form["title"] = "Saved behind a held write lock?"
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 300")  # instead of 20 s, for the test
        response = client.post(url, form)
    finally:
        other.execute("ROLLBACK")
        other.close()
        connection.close()  # the next test gets the usual busy timeout back
    assert response.status_code == 503
    assert "The database is busy" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).title == incident.title
    assert client.post(url, form).status_code == 302  # the same form, once the lock is gone
    assert Incident.objects.get(pk=incident.pk).title == "Saved behind a held write lock?"
