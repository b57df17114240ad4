"""The database itself refuses what must never be stored, whatever path writes it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from incidents.models import (
    Actor,
    Aircraft,
    Incident,
    IncidentActor,
    IncidentAircraft,
    IncidentSource,
    Location,
    Source,
)

DAY = datetime.date(2023, 6, 1)
# PostgreSQL refuses an over-long value by its column type (DataError) before any check.
REFUSED = (IntegrityError, DataError)


def valid_incident(**overrides):
    fields = {
        "ref": "SYR-2023-0100",
        "title": "Intercept",
        "incident_type": "air_intercept",
        "domain": "air",
        "date_start": DAY,
        "date_end": DAY,
    }
    fields.update(overrides)
    return fields


BAD_INCIDENTS = {
    "end before start": {"date_end": DAY - datetime.timedelta(days=1)},
    "unknown incident type": {"incident_type": "dogfight"},
    "unknown domain": {"domain": "space"},
    "unknown date precision": {"date_precision": "decade"},
    "unknown location precision": {"location_precision": "somewhere"},
    "unknown status": {"status": "rumoured"},
    "unknown risk tier": {"risk_tier": "apocalyptic"},
    "unknown safety wording": {"us_safety": "risky"},
    "unknown professionalism wording": {"us_professionalism": "rude"},
    "unknown channel answer": {"deconfliction_channel_used": "maybe"},
    "malformed ref": {"ref": "syr-23-4"},
    "fatalities low above best": {"fatalities_low": 5, "fatalities_best": 2},
    "fatalities best above high": {"fatalities_best": 9, "fatalities_high": 3},
    "fatalities low above high": {"fatalities_low": 9, "fatalities_high": 3},
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_INCIDENTS, ids=list(BAD_INCIDENTS))
def test_database_refuses_bad_incident(case):
    with pytest.raises(REFUSED), transaction.atomic():
        Incident.objects.create(**valid_incident(**BAD_INCIDENTS[case]))
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_valid_incident_is_stored():
    Incident.objects.create(
        **valid_incident(fatalities_low=1, fatalities_best=2, fatalities_high=3)
    )
    assert Incident.objects.count() == 1


BAD_LOCATIONS = {
    "latitude above 90": {"latitude": 90.5, "longitude": 38.0},
    "latitude below -90": {"latitude": -91, "longitude": 38.0},
    "longitude above 180": {"latitude": 33.0, "longitude": 180.1},
    "longitude below -180": {"latitude": 33.0, "longitude": -181},
    "latitude without longitude": {"latitude": 33.0},
    "zero radius": {"latitude": 33.0, "longitude": 38.0, "radius_km": 0},
    "unknown kind": {"kind": "fortress"},
    "lower-case country": {"country": "sy"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_LOCATIONS, ids=list(BAD_LOCATIONS))
def test_database_refuses_bad_location(case):
    fields = {"name": "Somewhere", "kind": "city", **BAD_LOCATIONS[case]}
    with pytest.raises(REFUSED), transaction.atomic():
        Location.objects.create(**fields)
    assert not Location.objects.exists()


BAD_ROWS = {
    "actor of unknown kind": lambda: Actor.objects.create(name="X", kind="gang"),
    "ACLED actor type 9": lambda: Actor.objects.create(
        name="X", kind="militia", acled_actor_type=9
    ),
    "ACLED actor type 0": lambda: Actor.objects.create(
        name="X", kind="militia", acled_actor_type=0
    ),
    "actor with a three-letter country": lambda: Actor.objects.create(
        name="X", kind="militia", country="SYR"
    ),
    "aircraft of unknown role": lambda: Aircraft.objects.create(
        designation="X", role="airship", crewed=True
    ),
    "aircraft with a malformed ICAO code": lambda: Aircraft.objects.create(
        designation="X", role="uav", crewed=False, icao_designator="mq-9"
    ),
    "source graded G": lambda: Source.objects.create(title="X", reliability="G"),
    "source with a malformed SHA-256": lambda: Source.objects.create(title="X", sha256="abc"),
    "source precision without a date": lambda: Source.objects.create(
        title="X", published_precision="month"
    ),
    "duplicate actor name": lambda: [
        Actor.objects.create(name="X", kind="militia") for _ in range(2)
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_database_refuses_bad_reference_row(case):
    with pytest.raises(REFUSED), transaction.atomic():
        BAD_ROWS[case]()


@pytest.fixture
def incident_with_refs(db):
    incident = Incident.objects.create(**valid_incident())
    actor = Actor.objects.create(name="Russian Aerospace Forces", kind="state_forces")
    aircraft = Aircraft.objects.create(designation="MQ-9 Reaper", role="uav", crewed=False)
    source = Source.objects.create(title="A report", reliability="B")
    return incident, actor, aircraft, source


BAD_LINKS = {
    "credibility 7": lambda i, a, ac, s: IncidentSource.objects.create(
        incident=i, source=s, excerpt="x", credibility=7
    ),
    "credibility 0": lambda i, a, ac, s: IncidentSource.objects.create(
        incident=i, source=s, excerpt="x", credibility=0
    ),
    "empty excerpt": lambda i, a, ac, s: IncidentSource.objects.create(
        incident=i, source=s, excerpt=""
    ),
    "unknown actor role": lambda i, a, ac, s: IncidentActor.objects.create(
        incident=i, actor=a, role="bystander"
    ),
    "same actor twice in one role": lambda i, a, ac, s: [
        IncidentActor.objects.create(incident=i, actor=a, role="initiator") for _ in range(2)
    ],
    "unknown aircraft role": lambda i, a, ac, s: IncidentAircraft.objects.create(
        incident=i, aircraft=ac, role="loitering"
    ),
    "zero aircraft": lambda i, a, ac, s: IncidentAircraft.objects.create(
        incident=i, aircraft=ac, role="intercepted", count=0
    ),
}


@pytest.mark.parametrize("case", BAD_LINKS, ids=list(BAD_LINKS))
def test_database_refuses_bad_link(incident_with_refs, case):
    with pytest.raises(REFUSED), transaction.atomic():
        BAD_LINKS[case](*incident_with_refs)


def test_protected_references_cannot_be_deleted_from_under_an_incident(incident_with_refs):
    from django.db.models import ProtectedError

    incident, actor, _, _ = incident_with_refs
    IncidentActor.objects.create(incident=incident, actor=actor, role="initiator")
    with pytest.raises(ProtectedError):
        actor.delete()
    assert Actor.objects.filter(pk=actor.pk).exists()


@pytest.mark.django_db
def test_form_validation_explains_bad_values_in_analyst_words():
    incident = Incident(**valid_incident(ref="SYR-23-1"))
    with pytest.raises(ValidationError) as error:
        incident.full_clean()
    assert "SYR-2023-0004" in " ".join(error.value.message_dict["ref"])
    location = Location(name="Nowhere", kind="city", latitude=95, longitude=200)
    with pytest.raises(ValidationError) as error:
        location.full_clean()
    assert set(error.value.message_dict) >= {"latitude", "longitude"}


@pytest.mark.django_db
def test_grade_reads_as_analysts_say_it(incident_with_refs):
    incident, _, _, source = incident_with_refs
    citation = IncidentSource.objects.create(
        incident=incident, source=source, excerpt="x", credibility=2
    )
    assert citation.grade == "B2"


@pytest.mark.parametrize(
    ("start", "end", "precision", "shown"),
    [
        ((2016, 6, 1), (2016, 6, 30), "month", "June 2016"),
        ((2016, 6, 1), (2016, 6, 10), "month", "June 2016"),
        ((2023, 3, 1), (2023, 7, 31), "month", "Mar–Jul 2023"),
        ((2015, 9, 1), (2016, 6, 30), "month", "Sep 2015–Jun 2016"),
        ((2023, 7, 23), (2023, 7, 23), "day", "23 Jul 2023"),
        ((2023, 7, 23), (2023, 7, 25), "day", "23–25 Jul 2023"),
        ((2017, 1, 1), (2017, 12, 31), "year", "2017"),
        ((2014, 7, 1), (2017, 9, 30), "year", "2014–2017"),
        ((2023, 7, 17), (2023, 7, 23), "week", "week of 17 Jul 2023"),
    ],
)
def test_dates_read_at_their_precision(start, end, precision, shown):
    incident = Incident(
        date_start=datetime.date(*start), date_end=datetime.date(*end), date_precision=precision
    )
    assert incident.date_display == shown


def test_a_plain_save_stamps_updated_at(make_incident):
    incident = make_incident()
    type(incident).objects.filter(pk=incident.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=30)
    )
    incident.refresh_from_db()
    stale = incident.updated_at
    incident.title = "Corrected"
    incident.save()
    incident.refresh_from_db()
    assert incident.updated_at > stale + datetime.timedelta(days=29)
    incident.save(update_fields=["title"])
    assert type(incident).objects.get(pk=incident.pk).updated_at >= incident.updated_at
