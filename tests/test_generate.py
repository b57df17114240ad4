"""generate_incidents: synthetic data at realistic proportions, the same for the same seed."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from incidents.models import Actor, Incident

from .helpers import MODELS, delete_all


def generate(count, seed):
    call_command("generate_incidents", count=count, seed=seed, stderr=io.StringIO())
    return list(
        Incident.objects.order_by("ref").values_list(
            "ref", "incident_type", "date_start", "location__name"
        )
    )


def test_the_same_seed_gives_the_same_incidents(db):
    first = generate(300, seed=7)
    for model in reversed(MODELS):
        delete_all(model)
    assert generate(300, seed=7) == first
    assert len(first) == 300


def test_proportions_are_those_of_a_theatre_log(db):
    generate(500, seed=1)
    counts = Incident.objects.annotate(
        n_actors=Count("incident_actors", distinct=True),
        n_aircraft=Count("incident_aircraft", distinct=True),
        n_citations=Count("incident_sources", distinct=True),
    )
    assert {row.n_actors for row in counts} == {1, 2, 3}
    assert {row.n_aircraft for row in counts} == {0, 1, 2}
    assert {row.n_citations for row in counts} == {1, 2, 3}
    types = dict(Incident.objects.values_list("incident_type").annotate(n=Count("pk")).order_by())
    assert types["air_intercept"] > 5 * types.get("negotiation", 0)
    assert Actor.objects.filter(parent__isnull=False).exists()  # hierarchies
    years = {d.year for d in Incident.objects.values_list("date_start", flat=True)}
    assert len(years) >= 9
    for incident in Incident.objects.all()[:50]:
        incident.full_clean()


def test_a_second_set_in_the_same_database_is_refused(db):
    generate(20, seed=1)
    with pytest.raises(CommandError, match="already holds generated incidents"):
        generate(20, seed=2)
