"""One permission matrix over every URL of the project, every role, GET and POST.

Each URL names the least role that may use it; a role below it is refused (403), nobody
logged in is sent to a login page, and a role at or above it gets its page (or a redirect,
or 405 for a method the page does not take), never a refusal or an error. POSTs carry
empty bodies, so whatever is allowed only re-shows its form: nothing may change. A URL
added to the project without a line here fails ``test_the_matrix_covers_every_url``.
"""

import datetime
import io

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from incidents.models import Actor, Incident, IncidentSource, Location, Source

from .helpers import table_state

ROLES = ["anonymous", "viewer", "editor", "importer", "administrator"]
RANK = {role: n for n, role in enumerate(ROLES)}
PUBLIC, NOBODY = "public", "nobody"

# Admin actions on the incidents app's models: the least role for each, GET and POST.
VIEW = {"changelist", "change", "history", "simple_history", "export"}
EDIT = {"add"}
IMPORT = {"import", "process_import"}
LINK_MODELS = {"incidentaircraft", "incidentsource"}  # editors remove links from incidents


def admin_role(model, action, method):
    if model == "group" and action in ("add", "change", "delete"):
        # what a role may do is a superuser's to change (the roles' migration makes them)
        return NOBODY if action != "change" or method == "post" else "administrator"
    if model in ("user", "group") or model.startswith("access"):
        if model.startswith("access") and action == "add":
            return NOBODY  # axes writes its records itself; nobody adds one by hand
        return "administrator"
    if action in IMPORT:
        return "importer"
    if action == "delete":
        return "editor" if model in LINK_MODELS else "administrator"
    if action in EDIT or (action in ("change", "simple_history") and method == "post"):
        return "editor"  # the history page's revert form saves like the change form
    return "viewer"


@pytest.fixture
def objects(load_seeds, make_user):
    incident = Incident.objects.get(ref="SYR-2023-0002")
    records = {
        "incident": incident,
        "actor": Actor.objects.get(name="US Air Force"),
        "location": Location.objects.get(name="al-Tanf"),
        "aircraft": incident.incident_aircraft.first().aircraft,
        "source": Source.objects.first(),
        "incidentaircraft": incident.incident_aircraft.first(),
        "incidentsource": IncidentSource.objects.first(),
        "user": make_user("viewer", username="another-viewer"),
        "group": Group.objects.get(name="Viewer"),
        "accessattempt": AccessAttempt.objects.create(
            username="x", ip_address="10.0.0.1", failures_since_start=1
        ),
        "accesslog": AccessLog.objects.create(username="x", ip_address="10.0.0.1"),
        "accessfailurelog": AccessFailureLog.objects.create(
            username="x", ip_address="10.0.0.1", attempt_time=timezone.now()
        ),
    }
    for name in ("incident", "actor", "location", "aircraft", "source", *LINK_MODELS):
        records[name].save()  # a history row to open
    return records


def pattern_names():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def matrix(objects):
    """[(URL name, URL, {method: least role})]"""
    incident = objects["incident"]
    rows = [
        ("login", "/accounts/login/", {"get": PUBLIC, "post": PUBLIC}),
        ("logout", "/accounts/logout/", {"get": PUBLIC, "post": PUBLIC}),
        ("admin:login", "/admin/login/", {"get": PUBLIC, "post": PUBLIC}),
        ("admin:logout", "/admin/logout/", {"get": PUBLIC, "post": PUBLIC}),
        ("admin:index", "/admin/", {"get": "viewer", "post": "viewer"}),
        ("admin:app_list", "/admin/incidents/", {"get": "viewer", "post": "viewer"}),
        ("admin:app_list", "/admin/auth/", {"get": "administrator", "post": "administrator"}),
        ("admin:jsi18n", "/admin/jsi18n/", {"get": "viewer", "post": "viewer"}),
        (
            "admin:autocomplete",
            "/admin/autocomplete/?app_label=incidents&model_name=incident"
            "&field_name=location&term=Tanf",
            {"get": "viewer", "post": "viewer"},
        ),
        (
            "admin:view_on_site",
            f"/admin/r/{ct(incident)}/{incident.pk}/",
            {"get": "viewer", "post": "viewer"},
        ),
        ("admin:password_change", "/admin/password_change/", {"get": "viewer", "post": "viewer"}),
        (
            "admin:password_change_done",
            "/admin/password_change/done/",
            {"get": "viewer", "post": "viewer"},
        ),
        (
            "admin:auth_user_password_change",
            f"/admin/auth/user/{objects['user'].pk}/password/",
            {"get": "administrator", "post": "administrator"},
        ),
        ("favicon", "/favicon.ico", {"get": PUBLIC, "post": PUBLIC}),
        ("incidents:dashboard", "/", {"get": "viewer", "post": "viewer"}),
        ("incidents:list", "/incidents/?incident_type=air_intercept", None),
        ("incidents:detail", incident.get_absolute_url(), None),
        ("incidents:actor_list", "/actors/", None),
        ("incidents:actor_detail", objects["actor"].get_absolute_url(), None),
        ("incidents:location_list", "/locations/", None),
        ("incidents:location_detail", objects["location"].get_absolute_url(), None),
        ("incidents:aircraft_list", "/aircraft/", None),
        ("incidents:aircraft_detail", objects["aircraft"].get_absolute_url(), None),
    ]
    rows += [
        ("incidents:export", f"/incidents/export.{fmt}?q=MQ-9", None)
        for fmt in ("csv", "xlsx", "json", "geojson")
    ]
    for model, record in objects.items():
        app = record._meta.app_label
        base = f"/admin/{app}/{model}/"
        urls = {
            "changelist": base,
            "add": base + "add/",
            "change": f"{base}{record.pk}/change/",
            "history": f"{base}{record.pk}/history/",
            "delete": f"{base}{record.pk}/delete/",
        }
        if app == "incidents":
            urls.update(
                import_=base + "import/",
                process_import=base + "process_import/",
                export=base + "export/",
            )
            version = record.history.order_by("history_id").values_list("history_id").first()
            if version:
                urls["simple_history"] = f"{base}{record.pk}/history/{version[0]}/"
        for action, url in urls.items():
            action = action.rstrip("_")
            roles = {method: admin_role(model, action, method) for method in ("get", "post")}
            rows.append((f"admin:{app}_{model}_{action}", url, roles))
    # The analyst pages take viewers and up; only the list takes a POST (its filter form).
    return [(name, url, roles or {"get": "viewer", "post": "viewer"}) for name, url, roles in rows]


def ct(instance):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(instance).pk


def verdict(name, role, least, response):
    """None when the answer is the one the matrix expects, else what is wrong."""
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and ("/login/" in location)
    if least == PUBLIC:
        ok = status in (200, 302, 405)
    elif role == "anonymous":
        ok = to_login
    elif least == NOBODY or RANK[role] < RANK[least]:
        # The admin hides an app in which the user may do nothing (404), as Django does.
        ok = status == 403 or (status == 404 and name == "admin:app_list")
    else:
        ok = status in (200, 302, 405) and not to_login
    return None if ok else f"{status} {location}".strip()


def test_the_matrix_covers_every_url(objects):
    covered = {name for name, _, _ in matrix(objects)}
    assert pattern_names() - covered == set()


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_the_matrix_says(objects, client_for, role):
    client = client_for(role)
    before = table_state()
    wrong = []
    for name, url, least in matrix(objects):
        for method in ("get", "post"):
            if name in ("logout", "admin:logout") and method == "post":
                continue  # logging out is tried last, below
            response = getattr(client, method)(url)
            if response.streaming:
                b"".join(response.streaming_content)
            problem = verdict(name, role, least[method], response)
            if problem:
                wrong.append((method.upper(), url, f"least {least[method]}", problem))
    assert wrong == []
    assert table_state() == before  # empty POSTs change nothing, whoever sends them
    if role != "anonymous":
        assert client.post("/accounts/logout/").status_code == 302
        assert client.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_a_session_expires(load_seeds, client_for):
    client = client_for("viewer")
    assert client.get("/incidents/").status_code == 200
    session = client.session
    session.set_expiry(timezone.now() - datetime.timedelta(seconds=1))
    session.save()
    assert client.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_a_login_cookie_lasts_a_working_day_and_scripts_cannot_read_it(make_user):
    make_user("viewer", username="nadia")
    response = Client().post(
        "/accounts/login/", {"username": "nadia", "password": "a long passphrase 42"}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert 0 < int(cookie["max-age"]) <= 12 * 3600
    assert cookie["httponly"]
    # (Secure in production: test_operations.test_production_answers_carry_the_security_headers)


@pytest.mark.parametrize("weak", ["password", "12345678", "short", "viewer-2"])
def test_add_analyst_refuses_a_weak_password(db, monkeypatch, weak):
    from django.core.management import CommandError, call_command

    monkeypatch.setattr("sys.stdin", io.StringIO(weak + "\n"))
    with pytest.raises(CommandError):
        call_command("add_analyst", "viewer-2", "--role", "viewer", "--password-stdin")
    assert not get_user_model().objects.filter(username="viewer-2").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase 42\n"))
    call_command(
        "add_analyst", "viewer-2", "--role", "viewer", "--password-stdin", stdout=io.StringIO()
    )
    assert get_user_model().objects.get(username="viewer-2").check_password("a long passphrase 42")
