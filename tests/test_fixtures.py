"""The seed events: every document a Source, every incident traceable to its sentence."""

import hashlib
import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from incidents.models import (
    Incident,
    Location,
    Source,
)

from .helpers import FIXTURES, MODELS, delete_all

SEEDS = settings.SEEDS_DIR
SEED_FILES = sorted(SEEDS.glob("*.txt"))
ELLIPSIS = " […] "


def snapshot():
    """Every row of every model, by natural key and with foreign keys as natural keys."""
    out = io.StringIO()
    labels = [f"incidents.{model._meta.model_name}" for model in MODELS]
    call_command(
        "dumpdata", *labels, natural_foreign=True, natural_primary=True, stdout=out, indent=None
    )
    rows = json.loads(out.getvalue())
    for row in rows:
        row["fields"].pop("version", None)  # the edit counter: a load is a save
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


def test_seed_documents_are_present():
    assert len(SEED_FILES) >= 5, f"the seed documents are expected in {SEEDS}"


def test_fixtures_load_twice_without_duplicates(load_seeds):
    counts = {model: model.objects.count() for model in MODELS}
    first = snapshot()
    load_seeds()
    assert {model: model.objects.count() for model in MODELS} == counts
    assert snapshot() == first
    assert counts[Incident] >= 20


def test_every_seed_document_is_a_source_with_its_hash(load_seeds):
    for path in SEED_FILES:
        source = Source.objects.get(seed_file=path.name)
        assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest(), path.name
        assert source.reliability in "ABCDEF"


def test_every_incident_cites_a_verbatim_sentence_of_its_document(load_seeds):
    texts = {path.name: path.read_text(encoding="utf-8") for path in SEED_FILES}
    for incident in Incident.objects.prefetch_related("incident_sources__source"):
        citations = list(incident.incident_sources.all())
        assert citations, f"{incident.ref} has no source"
        for citation in citations:
            text = texts[citation.source.seed_file]
            for fragment in citation.excerpt.split(ELLIPSIS):
                assert fragment in text, f"{incident.ref}: {fragment[:60]!r} not in the document"
            # a citation, not a copy of the article
            assert len(citation.excerpt) < len(text) / 4, incident.ref


def test_every_document_supports_at_least_one_incident(load_seeds):
    for source in Source.objects.exclude(seed_file=""):
        assert source.incidents.exists(), source.seed_file


def test_seed_grades_are_honest(load_seeds):
    grade = {s.seed_file[:3]: s.reliability for s in Source.objects.all()}
    # a summary of a CNN report outranks an undated blog with 52 views
    assert grade["004"] < grade["001"]
    assert grade["000"] < grade["003"]


def test_incidents_have_who_and_where(load_seeds):
    for incident in Incident.objects.for_list():
        assert incident.incident_actors.all(), incident.ref
        assert incident.location is not None, incident.ref
        assert incident.location.has_coordinates, incident.location.name


@pytest.mark.parametrize(
    ("ref_title_word", "expected"),
    [
        (
            "MQ-9",
            {
                "incident_type": "air_intercept",
                "us_safety": "safe",
                "us_professionalism": "unprofessional",
            },
        ),
        ("55 km", {"incident_type": "isr_overflight", "location__name": "al-Tanf"}),
        ("Khmeimim", {"incident_type": "withdrawal", "status": "confirmed"}),
    ],
)
def test_key_seed_events_are_recorded_faithfully(load_seeds, ref_title_word, expected):
    assert Incident.objects.filter(title__icontains=ref_title_word, **expected).exists()


def test_early_june_is_a_range_not_the_first(load_seeds):
    raqqa = Incident.objects.get(title__icontains="Raqqa from the north")
    assert raqqa.date_precision == "month"
    assert raqqa.date_start.month == raqqa.date_end.month == 6
    assert raqqa.date_end > raqqa.date_start


def test_contested_withdrawals_are_disputed(load_seeds):
    withdrawals = Incident.objects.filter(incident_type="withdrawal", location__name="Syria")
    assert withdrawals.count() >= 2
    assert set(withdrawals.values_list("status", flat=True)) == {"disputed"}


def test_al_tanf_zone_has_its_radius(load_seeds):
    tanf = Location.objects.get(name="al-Tanf")
    assert tanf.radius_km == 55
    assert set(Incident.objects.near(tanf).values_list("ref", flat=True)) >= {
        "SYR-2023-0003",
        "SYR-2023-0004",
    }


def test_natural_keys_round_trip_through_dumpdata_and_loaddata(load_seeds, tmp_path):
    before = snapshot()
    dump = tmp_path / "dump.json"
    labels = [f"incidents.{model._meta.model_name}" for model in MODELS]
    call_command("dumpdata", *labels, natural_foreign=True, natural_primary=True, output=str(dump))
    for model in reversed(MODELS):
        delete_all(model)
    assert not Incident.objects.exists()

    call_command("loaddata", str(dump), verbosity=0)

    assert snapshot() == before


def test_fixture_files_are_natural_keyed():
    for path in FIXTURES:
        for row in json.loads(path.read_text(encoding="utf-8")):
            assert "pk" not in row, f"{path.name} hard-codes a primary key"
