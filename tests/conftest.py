import datetime
import itertools
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents.models import (
    Actor,
    ActorKind,
    Incident,
    IncidentType,
    Location,
    LocationKind,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))


@pytest.fixture
def load_seeds(db):
    def load():
        call_command("loaddata", *map(str, FIXTURES), verbosity=0)

    load()
    return load


_serial = itertools.count(1)


@pytest.fixture
def make_actor(db):
    def make(name=None, **fields):
        fields.setdefault("kind", ActorKind.STATE_FORCES)
        return Actor.objects.create(name=name or f"Actor {next(_serial)}", **fields)

    return make


@pytest.fixture
def make_location(db):
    def make(name=None, **fields):
        fields.setdefault("kind", LocationKind.CITY)
        return Location.objects.create(name=name or f"Place {next(_serial)}", **fields)

    return make


@pytest.fixture
def make_incident(db):
    def make(ref=None, actors=(), **fields):
        start = fields.pop("date_start", datetime.date(2023, 6, 1))
        fields.setdefault("date_end", start)
        fields.setdefault("incident_type", IncidentType.AIR_INTERCEPT)
        fields.setdefault("domain", "air")
        fields.setdefault("title", "An incident")
        incident = Incident.objects.create(
            ref=ref or f"SYR-{start.year}-{next(_serial):04d}", date_start=start, **fields
        )
        for actor, role in actors:
            incident.incident_actors.create(actor=actor, role=role)
        return incident

    return make
