"""The history page's revert form is a write path: it takes the change permission on the row,
whatever form is POSTed. Each attack POSTs the valid form the page itself serves."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import (
    Actor,
    Aircraft,
    Incident,
    IncidentAircraft,
    IncidentSource,
    Location,
    Source,
)
from incidents.roles import ROLES

from .helpers import form_fields

HISTORY_MODELS = [
    "actor",
    "aircraft",
    "incident",
    "incidentaircraft",
    "incidentsource",
    "location",
    "source",
]


def make_rows():
    """One row of every model with a history admin, each edited once (two versions)."""
    actor = Actor.objects.create(name="Russian Aerospace Forces", kind="state_forces")
    location = Location.objects.create(name="al-Tanf", kind="garrison")
    aircraft = Aircraft.objects.create(designation="Su-35", role="fighter", crewed=True)
    source = Source.objects.create(title="A briefing", published_on=datetime.date(2023, 7, 1))
    incident = Incident.objects.create(
        ref="SYR-2023-0901",
        title="Su-35 shadows an MQ-9",
        incident_type="air_intercept",
        domain="air",
        date_start=datetime.date(2023, 7, 2),
        date_end=datetime.date(2023, 7, 2),
    )
    link = IncidentAircraft.objects.create(
        incident=incident, aircraft=aircraft, role="intercepting", count=1
    )
    citation = IncidentSource.objects.create(
        incident=incident, source=source, excerpt="A Russian jet flew close.", credibility=3
    )
    rows = {
        "actor": (actor, "notes"),
        "location": (location, "admin1"),
        "aircraft": (aircraft, "nato_name"),
        "source": (source, "author"),
        "incident": (incident, "summary"),
        "incidentaircraft": (link, "count"),
        "incidentsource": (citation, "excerpt"),
    }
    for row, field in rows.values():
        value = getattr(row, field)
        setattr(row, field, (value + 1) if isinstance(value, int) else "Edited once")
        row.save()
    return rows


def history_admins():
    return sorted(
        model._meta.model_name
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    )


def test_every_history_admin_is_attacked_below():
    assert history_admins() == HISTORY_MODELS


def user_without_change(model):
    """An editor whose group was given every Editor permission but this model's change."""
    group = Group.objects.create(name=f"Editor without change_{model}")
    group.permissions.set(
        Group.objects.get(name=ROLES["editor"]).permissions.exclude(codename=f"change_{model}")
    )
    user = get_user_model().objects.create_user(
        f"no-change-{model}", password="a long passphrase 42", is_staff=True
    )
    user.groups.set([group])
    client = Client()
    client.force_login(user)
    return client


def revert_form(client, model, row):
    first = row.history.order_by("history_id").first()
    url = f"/admin/incidents/{model}/{row.pk}/history/{first.history_id}/"
    page = client.get(url)
    assert page.status_code == 200
    return url, form_fields(page.content, f"historical{model}_form")


def state(row):
    fresh = type(row)._base_manager.get(pk=row.pk)
    return [getattr(fresh, f.attname) for f in type(row)._meta.concrete_fields], row.history.count()


@pytest.mark.parametrize("model", HISTORY_MODELS)
def test_a_viewer_or_an_editor_without_the_permission_cannot_revert(model, client_for):
    row, field = make_rows()[model]
    editor = client_for("editor")
    url, form = revert_form(editor, model, row)  # the form as an Editor is served it
    viewer = client_for("viewer")
    assert viewer.get(url).status_code == 200  # history stays readable
    before = state(row)

    for attacker in (viewer, user_without_change(model)):
        assert attacker.post(url, form).status_code == 403
        assert state(row) == before


@pytest.mark.parametrize("model", HISTORY_MODELS)
def test_an_editor_with_the_permission_reverts(model, client_for):
    row, field = make_rows()[model]
    original = getattr(row.history.order_by("history_id").first(), field)
    editor = client_for("editor")
    url, form = revert_form(editor, model, row)

    assert editor.post(url, form).status_code == 302

    assert getattr(type(row)._base_manager.get(pk=row.pk), field) == original
