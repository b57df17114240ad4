"""Defaults that are safe for whoever deploys without reading the README: no debug pages,
throttling that sees the real client behind a proxy, bounded searches, private files, and
no way for an Administrator to make anyone a superuser."""

import os
import socket
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .helpers import form_fields

ROOT = Path(__file__).resolve().parent.parent
SECRET_PASSWORD = "Db-Pa55word-That-Must-Not-Show"


def clean_env(**extra):
    """The environment of someone who set nothing: no DEBUG, no SECRET_KEY."""
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY")}
    env.pop("ALLOWED_HOSTS", None)
    env.update(extra)
    return env


def python(code, env):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.slow
def test_the_settings_without_debug_give_debug_off(tmp_path):
    done = python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "django.setup(); from django.conf import settings; print(settings.DEBUG)",
        clean_env(VAR_DIR=str(tmp_path / "var")),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.slow
def test_commands_run_from_a_checkout_with_no_variables(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(VAR_DIR=str(tmp_path / "var")),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_serving_with_debug_off_and_no_production_values_is_refused(tmp_path):
    done = python("import config.wsgi", clean_env(VAR_DIR=str(tmp_path / "var")))
    assert done.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS" in done.stderr


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn as someone would start it by hand: production values, but no DEBUG."""
    port = free_port()
    env = clean_env(
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="incidents.example.org",
        DATABASE_URL=f"postgres://incidents:{SECRET_PASSWORD}@127.0.0.1:9/incidents",
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in server.stderr:  # wait for the worker to boot, however long it takes
            if "Booting worker" in line:
                break
        else:
            pytest.fail("gunicorn stopped before it served")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_a_bad_host_under_gunicorn_shows_no_setting(gunicorn):
    status, body = fetch(gunicorn + "/", Host="attacker.example")
    assert status == 400
    assert SECRET_PASSWORD not in body
    for leak in ("DATABASE", "SECRET", "Traceback", "settings"):
        assert leak not in body


@pytest.mark.slow
def test_a_missing_page_lists_no_url_patterns(gunicorn):
    status, body = fetch(
        gunicorn + "/no-such-page/", Host="incidents.example.org", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 404
    assert "admin/" not in body and "incidents/" not in body and "urlpatterns" not in body


# --- login throttling behind a proxy ----------------------------------------------------


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user("admin", password="the right passphrase 1")


def try_login(password, remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    client = Client()
    client.post("/accounts/login/", {"username": "admin", "password": password}, **meta)
    return "_auth_user_id" in client.session


def test_behind_a_trusted_proxy_failures_lock_only_that_address(admin_user, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert not try_login("wrong", "127.0.0.1", "203.0.113.5")

    assert not try_login("the right passphrase 1", "127.0.0.1", "203.0.113.5")
    assert try_login("the right passphrase 1", "127.0.0.1", "198.51.100.7")


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(admin_user, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(settings.AXES_FAILURE_LIMIT):
        # a client that names another address each time is still one address
        assert not try_login("wrong", "192.0.2.9", f"203.0.113.{n}")

    assert not try_login("the right passphrase 1", "192.0.2.9", "198.51.100.7")
    assert try_login("the right passphrase 1", "192.0.2.10")


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(admin_user, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        assert not try_login("wrong", "192.0.2.9", f"203.0.113.{n}")
    assert not try_login("the right passphrase 1", "192.0.2.9", "198.51.100.7")


# --- bounded admin search ---------------------------------------------------------------


def test_the_admin_search_of_a_thousand_words_answers_in_the_normal_query_count(
    client_for, make_incident
):
    make_incident(title="Su-35 shadows an MQ-9")
    client = client_for("editor")
    with CaptureQueriesContext(connection) as one_word:
        assert client.get("/admin/incidents/incident/", {"q": "shadows"}).status_code == 200
    words = " ".join(f"word{n}" for n in range(1000))

    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/incidents/incident/", {"q": words})

    assert response.status_code == 200
    assert len(many) <= len(one_word) + 1  # the message of the words left out
    assert max(len(q["sql"]) for q in many) < 20 * max(len(q["sql"]) for q in one_word)
    assert "Only the first 10 words" in response.content.decode()


# --- files only their owner reads -------------------------------------------------------


@pytest.mark.slow
def test_make_run_leaves_var_and_the_database_private(tmp_path):
    var = tmp_path / "var"
    env = clean_env(VAR_DIR=str(var), DATABASE_URL="")
    env.pop("DATABASE_URL")
    done = subprocess.run(
        ["make", "-s", "fixtures"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0o022),  # noqa: PLW1509 (the usual umask)
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "db.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600


# --- who may grant what -----------------------------------------------------------------


def test_an_administrator_cannot_grant_superuser_or_administrator(client_for, make_user):
    administrator = client_for("administrator")
    analyst = make_user("viewer", username="analyst")
    url = f"/admin/auth/user/{analyst.pk}/change/"
    form = form_fields(administrator.get(url).content, "user_form")
    form["is_superuser"] = "on"
    form["groups"] = str(Group.objects.get(name="Administrator").pk)

    administrator.post(url, form)

    analyst.refresh_from_db()
    assert not analyst.is_superuser
    assert not analyst.groups.filter(name="Administrator").exists()


def test_an_administrator_cannot_change_itself_or_a_superuser(client_for, django_user_model):
    administrator = client_for("administrator")
    me = django_user_model.objects.get(username="administrator")
    root = django_user_model.objects.create_superuser("root", password="a long passphrase 42")
    for user in (me, root):
        url = f"/admin/auth/user/{user.pk}/change/"
        form = form_fields(client_for_superuser_page(url), "user_form")
        form["is_superuser"] = "on"
        assert administrator.post(url, form).status_code == 403
        password_url = f"/admin/auth/user/{user.pk}/password/"
        assert (
            administrator.post(password_url, {"password1": "x", "password2": "x"}).status_code
            == 403
        )
    me.refresh_from_db()
    assert not me.is_superuser


def client_for_superuser_page(url):
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.filter(is_superuser=True).first()
    client = Client()
    client.force_login(superuser)
    return client.get(url).content


def test_a_superuser_can_still_grant_both(client_for, make_user, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="a long passphrase 42")
    client = Client()
    client.force_login(root)
    analyst = make_user("viewer", username="analyst")
    url = f"/admin/auth/user/{analyst.pk}/change/"
    form = form_fields(client.get(url).content, "user_form")
    form["groups"] = str(Group.objects.get(name="Administrator").pk)
    form["is_superuser"] = "on"

    assert client.post(url, form).status_code == 302

    analyst.refresh_from_db()
    assert analyst.is_superuser and analyst.groups.filter(name="Administrator").exists()


def test_an_administrator_cannot_make_rename_or_delete_a_group(client_for, django_user_model):
    administrator = client_for("administrator")
    root = django_user_model.objects.create_superuser("root", password="a long passphrase 42")
    superuser = Client()
    superuser.force_login(root)
    group = Group.objects.get(name="Administrator")
    url = f"/admin/auth/group/{group.pk}/change/"
    form = form_fields(superuser.get(url).content, "group_form")  # the valid form
    form["name"] = "Administrator-old"
    assert administrator.post(url, form).status_code == 403
    add = form_fields(superuser.get("/admin/auth/group/add/").content, "group_form")
    add |= {"name": "Shadow admins", "permissions": form["permissions"]}
    assert administrator.post("/admin/auth/group/add/", add).status_code == 403
    delete = f"/admin/auth/group/{group.pk}/delete/"
    assert administrator.post(delete, {"post": "yes"}).status_code == 403
    assert Group.objects.filter(name="Administrator").exists()
    assert not Group.objects.filter(name="Shadow admins").exists()


def test_a_group_that_manages_accounts_is_not_grantable_whatever_its_name(
    client_for, make_user, django_user_model
):
    shadow = Group.objects.create(name="Shadow admins")
    shadow.permissions.set(Group.objects.get(name="Administrator").permissions.all())
    administrator = client_for("administrator")
    analyst = make_user("viewer", username="analyst")
    url = f"/admin/auth/user/{analyst.pk}/change/"
    form = form_fields(administrator.get(url).content, "user_form")
    form["groups"] = str(shadow.pk)
    administrator.post(url, form)
    assert not analyst.groups.filter(pk=shadow.pk).exists()
    # and an account holding those rights through it is out of an Administrator's reach
    holder = make_user("viewer", username="holder")
    holder.groups.add(shadow)
    assert administrator.get(f"/admin/auth/user/{holder.pk}/password/").status_code == 403


def test_every_admin_search_is_bounded(client_for):
    words = " ".join(f"word{n}" for n in range(3000))
    client = client_for("administrator")
    for url in ("/admin/auth/user/", "/admin/auth/group/", "/admin/axes/accessattempt/"):
        response = client.get(url, {"q": words})
        assert response.status_code == 200, url
        assert "Only the first 10 words" in response.content.decode(), url
