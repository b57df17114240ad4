"""One table of names, run through every place a name is read: the resolver itself, the
list's URL filter and an import. The same name finds the same row, or is refused with the
same message, everywhere."""

import io

import pytest
from django.core.management import CommandError, call_command

from incidents import names
from incidents.models import Actor, Incident, Location

FOUND = [
    (Actor, "Russian Aerospace Forces", "Russian Aerospace Forces"),
    (Actor, "russian AEROSPACE forces", "Russian Aerospace Forces"),
    (Actor, "VKS", "Russian Aerospace Forces"),
    (Actor, "vks", "Russian Aerospace Forces"),
    (Actor, "Russian air force", "Russian Aerospace Forces"),
    (Location, "al-Tanf", "al-Tanf"),
    (Location, "At Tanf", "al-Tanf"),
    (Location, "tanf", "al-Tanf"),
]
REFUSED = [
    (Actor, "Martian Air Force", "Unknown actor “Martian Air Force”"),
    (Actor, "Russian Aerospace Force", "Did you mean “Russian Aerospace Forces”?"),
    (Location, "al-Tanff", "Did you mean “al-Tanf”?"),
]


@pytest.fixture
def named(db, make_actor, make_location):
    vks = make_actor("Russian Aerospace Forces", short_name="VKS", aliases="Russian air force\nVVS")
    tanf = make_location(
        "al-Tanf", alternative_names="At Tanf\nTanf", latitude=33.5, longitude=38.6
    )
    return {Actor: vks, Location: tanf}


def id_refused_cases(named):
    # a database id is never a name
    return [(model, str(row.pk), "Unknown") for model, row in named.items()]


@pytest.mark.parametrize(("model", "written", "name"), FOUND)
def test_the_resolver_finds(named, model, written, name):
    assert names.find(model, written).pk == named[model].pk


@pytest.mark.parametrize(("model", "written", "message"), REFUSED)
def test_the_resolver_refuses(named, model, written, message):
    with pytest.raises(names.UnknownName, match=message):
        names.find(model, written)


def test_a_database_id_is_not_a_name(named):
    for model, written, message in id_refused_cases(named):
        with pytest.raises(names.UnknownName, match=message):
            names.find(model, written)


FILTER = {Actor: "actor", Location: "location"}


@pytest.mark.parametrize(("model", "written", "name"), FOUND)
def test_the_url_filter_finds(named, make_incident, client_for, model, written, name):
    incident = make_incident(actors=[(named[Actor], "initiator")], location=named[Location])
    page = client_for("viewer").get("/incidents/", {FILTER[model]: written})
    assert [row.ref for row in page.context["incidents"]] == [incident.ref]


@pytest.mark.parametrize(("model", "written", "message"), REFUSED)
def test_the_url_filter_refuses(named, client_for, model, written, message):
    page = client_for("viewer").get("/incidents/", {FILTER[model]: written})
    assert message in page.content.decode().replace("&quot;", '"')


def one_incident_file(folder, model, written):
    """A CSV of one incident whose actor or place is written as ``written``."""
    values = {Actor: "Russian Aerospace Forces", Location: "al-Tanf"} | {model: written}
    path = folder / "one.csv"
    path.write_text(
        "ref,title,incident_type,domain,date_start,location,initiators\n"
        f"SYR-2025-0042,An intercept,air_intercept,air,2025-02-03,"
        f"{values[Location]},{values[Actor]}\n"
    )
    return path


@pytest.mark.parametrize(("model", "written", "name"), FOUND)
def test_an_import_finds(named, tmp_path, model, written, name):
    path = one_incident_file(tmp_path, model, written)
    call_command("import_incidents", str(path), stdout=io.StringIO())
    incident = Incident.objects.get(ref="SYR-2025-0042")
    assert incident.location == named[Location]
    assert list(incident.actors.all()) == [named[Actor]]


@pytest.mark.parametrize(("model", "written", "message"), REFUSED)
def test_an_import_refuses(named, tmp_path, model, written, message):
    path = one_incident_file(tmp_path, model, written)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_incidents", str(path), stdout=out, stderr=err)
    assert message in str(refused.value) + out.getvalue() + err.getvalue()
    assert not Incident.objects.filter(ref="SYR-2025-0042").exists()
