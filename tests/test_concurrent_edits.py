"""Two analysts editing one record: the second save is refused with what the first changed,
by whom and when, and both edits survive once the second merges."""

import datetime
import os

import pytest
from concurrency.exceptions import RecordModifiedError
from django.db import transaction
from django.test import Client

from incidents.models import Actor, ActorRole, Aircraft, Location, Source

from .helpers import form_fields

CHANGE = "/admin/incidents/{model}/{pk}/change/"


@pytest.fixture
def editors(make_user):
    clients = []
    for name in ("nadia", "omar"):
        client = Client()
        client.force_login(make_user("editor", username=name))
        clients.append(client)
    return clients


def opened(client, url, form_id):
    response = client.get(url)
    assert response.status_code == 200
    return form_fields(response.content, form_id)


def test_the_second_save_is_refused_naming_the_first_and_merges(editors, make_incident):
    nadia, omar = editors
    incident = make_incident(title="Su-35 shadows an MQ-9", summary="First draft.")
    url = CHANGE.format(model="incident", pk=incident.pk)
    nadias_form = opened(nadia, url, "incident_form")
    omars_form = opened(omar, url, "incident_form")

    nadias_form["summary"] = "Rewritten by Nadia."
    assert nadia.post(url, nadias_form).status_code == 302
    omars_form["title"] = "Su-35 intercepts an MQ-9 (Omar)"
    refused = omar.post(url, omars_form)

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Not saved" in page and "nadia" in page and "summary" in page
    incident.refresh_from_db()
    assert incident.summary == "Rewritten by Nadia."
    assert incident.title == "Su-35 shadows an MQ-9"

    merged = form_fields(page, "incident_form")
    assert merged["summary"] == "Rewritten by Nadia."
    assert merged["title"] == "Su-35 intercepts an MQ-9 (Omar)"
    assert omar.post(url, merged).status_code == 302
    incident.refresh_from_db()
    assert incident.summary == "Rewritten by Nadia."
    assert incident.title == "Su-35 intercepts an MQ-9 (Omar)"
    assert incident.updated_by.username == "omar"


def test_a_field_both_changed_names_the_other_value_and_keeps_mine(editors, make_incident):
    nadia, omar = editors
    incident = make_incident(title="Original title")
    url = CHANGE.format(model="incident", pk=incident.pk)
    nadias_form = opened(nadia, url, "incident_form")
    omars_form = opened(omar, url, "incident_form")
    nadias_form["title"] = "Nadia's title"
    nadia.post(url, nadias_form)
    omars_form["title"] = "Omar's title"

    refused = omar.post(url, omars_form)

    page = refused.content.decode()
    assert "Also changed by someone else, to “Nadia&#x27;s title”" in page
    incident.refresh_from_db()
    assert incident.title == "Nadia's title"
    assert omar.post(url, form_fields(page, "incident_form")).status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Omar's title"


def test_an_inline_row_changed_meanwhile_is_not_overwritten(editors, make_incident, make_actor):
    nadia, omar = editors
    actor = make_actor("Russian Aerospace Forces")
    incident = make_incident(actors=[(actor, ActorRole.INITIATOR)])
    url = CHANGE.format(model="incident", pk=incident.pk)
    nadias_form = opened(nadia, url, "incident_form")
    omars_form = opened(omar, url, "incident_form")
    nadias_form["incident_actors-0-role"] = ActorRole.TARGET
    assert nadia.post(url, nadias_form).status_code == 302
    omars_form["incident_actors-0-role"] = ActorRole.PARTICIPANT

    assert omar.post(url, omars_form).status_code == 200
    assert incident.incident_actors.get().role == ActorRole.TARGET


@pytest.mark.parametrize(
    ("model", "make", "field", "value"),
    [
        ("actor", lambda: Actor.objects.create(name="SAA", kind="state_forces"), "notes", "x"),
        ("location", lambda: Location.objects.create(name="T4", kind="city"), "admin1", "Homs"),
        (
            "aircraft",
            lambda: Aircraft.objects.create(designation="Su-24", role="strike", crewed=True),
            "nato_name",
            "Fencer",
        ),
        (
            "source",
            lambda: Source.objects.create(
                title="A report", publisher="P", published_on=datetime.date(2023, 1, 2)
            ),
            "author",
            "A. Writer",
        ),
    ],
)
def test_every_reference_table_refuses_a_stale_save(editors, model, make, field, value):
    nadia, omar = editors
    row = make()
    url = CHANGE.format(model=model, pk=row.pk)
    nadias_form = opened(nadia, url, f"{model}_form")
    omars_form = opened(omar, url, f"{model}_form")
    nadias_form[field] = value
    assert nadia.post(url, nadias_form).status_code == 302

    omars_form["notes" if field != "notes" else "name"] = "Omar's change"
    refused = omar.post(url, omars_form)

    assert refused.status_code == 200
    assert "Not saved" in refused.content.decode()
    row.refresh_from_db()
    assert getattr(row, field) == value


def test_the_database_refuses_a_save_from_an_older_version(make_incident):
    incident = make_incident()
    stale = type(incident).objects.get(pk=incident.pk)
    incident.title = "Saved first"
    incident.save()
    stale.title = "Saved from an older copy"
    with pytest.raises(RecordModifiedError), transaction.atomic():
        stale.save()
    incident.refresh_from_db()
    assert incident.title == "Saved first"


@pytest.mark.parametrize("loader", ["load_seeds", "loaddata"])
def test_seed_rows_merge_like_any_other(editors, loader):
    from django.core.management import call_command

    from incidents.models import Incident

    from .helpers import FIXTURES

    if loader == "load_seeds":
        call_command("load_seeds", stdout=open(os.devnull, "w"))  # noqa: SIM115
    else:
        call_command("loaddata", *map(str, FIXTURES), verbosity=0)
    nadia, omar = editors
    incident = Incident.objects.get(ref="SYR-2023-0002")
    assert incident.version >= 1
    url = CHANGE.format(model="incident", pk=incident.pk)
    nadias_form = opened(nadia, url, "incident_form")
    omars_form = opened(omar, url, "incident_form")
    nadias_form["title"] = incident.title + " (Nadia)"
    assert nadia.post(url, nadias_form).status_code == 302
    omars_form["fatalities_best"] = "7"

    refused = omar.post(url, omars_form)
    merged = form_fields(refused.content, "incident_form")
    assert merged["title"] == incident.title + " (Nadia)"
    assert omar.post(url, merged).status_code == 302

    incident.refresh_from_db()
    assert incident.title.endswith("(Nadia)") and incident.fatalities_best == 7
