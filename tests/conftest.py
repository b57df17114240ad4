import datetime
import itertools

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

from .helpers import FIXTURES


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Users are made by the hundred here: a hash that costs nothing (the real one costs
    a third of a second by design). Login, lockout and validation behave the same."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture
def make_user(db):
    """A staff user in one role's group, as `add_analyst` makes them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from incidents.roles import ROLES, ensure_groups

    # A transactional test before this one flushed the tables, the migration's groups too.
    ensure_groups(Group, Permission)

    def make(role, username=None):
        user = get_user_model().objects.create_user(
            username or role, password="a long passphrase 42", is_staff=True
        )
        user.groups.set([Group.objects.get(name=ROLES[role])])
        return user

    return make


@pytest.fixture
def client_for(client, make_user):
    """A logged-in client per role; "anonymous" is a client with nobody logged in."""
    from django.test import Client

    def get(role):
        if role == "anonymous":
            return Client()
        c = Client()
        c.force_login(make_user(role))
        return c

    return get
