"""IncidentFilter: each parameter, combinations, edges, and invalid values.

Each test builds the few incidents it needs and asks the list page (as an analyst would)
or the filter itself which refs it selects.
"""

import datetime

import pytest
from django.http import QueryDict
from django.urls import reverse

from incidents.filters import IncidentFilter
from incidents.models import ActorRole, Aircraft, AircraftRole, Incident, IncidentType

D = datetime.date


def refs(query):
    """The refs the filter selects, in its order (the list page's order)."""
    filterset = IncidentFilter(QueryDict(query), queryset=Incident.objects.all())
    assert filterset.is_valid(), filterset.errors
    return [incident.ref for incident in filterset.qs]


def errors(query):
    filterset = IncidentFilter(QueryDict(query), queryset=Incident.objects.all())
    assert not filterset.is_valid()
    assert list(filterset.qs) == []
    return filterset.errors


@pytest.fixture
def forces(make_actor):
    """A small hierarchy: Russia > VKS, and the US > USAF."""
    russia = make_actor("Russian Armed Forces", country="RU")
    vks = make_actor("Russian Aerospace Forces", short_name="VKS", country="RU", parent=russia)
    us = make_actor("US Armed Forces", country="US")
    usaf = make_actor("US Air Force", short_name="USAF", country="US", parent=us)
    return {"russia": russia, "vks": vks, "us": us, "usaf": usaf}


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # "June 2016" (1-30 June) meets a query for 10-20 June 2016
        ("date_after=2016-06-10&date_before=2016-06-20", ["DAY", "JUN"]),
        # the range touches the incident's first and last day: inclusive at both ends
        ("date_after=2016-06-30&date_before=2016-07-05", ["JUN"]),
        ("date_after=2016-05-01&date_before=2016-06-01", ["JUN"]),
        # one day outside on either side
        ("date_after=2016-07-01", []),
        ("date_before=2016-05-31", []),
        # open-ended ranges
        ("date_after=2016-06-15", ["DAY", "JUN"]),
        ("date_before=2016-06-14", ["JUN"]),
    ],
)
def test_date_range_keeps_incidents_whose_dates_may_fall_inside(make_incident, query, expected):
    make_incident(
        "SYR-2016-0001", date_start=D(2016, 6, 1), date_end=D(2016, 6, 30), date_precision="month"
    )
    make_incident("SYR-2016-0002", date_start=D(2016, 6, 15))
    names = {"SYR-2016-0001": "JUN", "SYR-2016-0002": "DAY"}
    assert [names[ref] for ref in refs(query)] == expected


def test_a_reversed_date_range_is_an_error(db):
    assert "date_before" in errors("date_after=2023-12-31&date_before=2023-01-01")


# --- choices ---------------------------------------------------------------------------


def test_several_values_of_a_choice_mean_any_of_them(make_incident):
    make_incident("SYR-2023-0001", incident_type=IncidentType.AIR_INTERCEPT)
    make_incident("SYR-2023-0002", incident_type=IncidentType.ISR_OVERFLIGHT)
    make_incident("SYR-2023-0003", incident_type=IncidentType.WITHDRAWAL)
    assert set(refs("incident_type=air_intercept&incident_type=isr_overflight")) == {
        "SYR-2023-0001",
        "SYR-2023-0002",
    }
    assert refs("incident_type=withdrawal") == ["SYR-2023-0003"]


@pytest.mark.parametrize(
    ("name", "value", "other"),
    [
        ("domain", "land", "air"),
        ("status", "confirmed", "reported"),
        ("risk_tier", "high_risk", "not_assessed"),
        ("date_precision", "year", "day"),
    ],
)
def test_each_choice_filter(make_incident, name, value, other):
    make_incident("SYR-2023-0001", **{name: value})
    make_incident("SYR-2023-0002", **{name: other})
    assert refs(f"{name}={value}") == ["SYR-2023-0001"]


# --- actors, roles, countries ----------------------------------------------------------


def test_an_actor_includes_its_sub_units(make_incident, forces):
    make_incident("SYR-2023-0001", actors=[(forces["vks"], ActorRole.INITIATOR)])
    make_incident("SYR-2023-0002", actors=[(forces["usaf"], ActorRole.INITIATOR)])
    assert refs("actor=Russian Armed Forces") == ["SYR-2023-0001"]
    assert refs("actor=Russian Aerospace Forces") == ["SYR-2023-0001"]
    # short names and the case of the name do not matter
    assert refs("actor=VKS") == ["SYR-2023-0001"]
    assert refs("actor=russian aerospace forces") == ["SYR-2023-0001"]


def test_several_actors_mean_incidents_involving_all_of_them(make_incident, forces):
    make_incident(
        "SYR-2023-0001",
        actors=[(forces["vks"], ActorRole.INITIATOR), (forces["usaf"], ActorRole.TARGET)],
    )
    make_incident("SYR-2023-0002", actors=[(forces["vks"], ActorRole.INITIATOR)])
    assert refs("actor=VKS&actor=USAF") == ["SYR-2023-0001"]


def test_actor_role_narrows_the_actor_and_country_filters(make_incident, forces):
    make_incident(
        "SYR-2023-0001",
        actors=[(forces["vks"], ActorRole.INITIATOR), (forces["usaf"], ActorRole.TARGET)],
    )
    make_incident(
        "SYR-2023-0002",
        actors=[(forces["usaf"], ActorRole.INITIATOR), (forces["vks"], ActorRole.TARGET)],
    )
    assert refs("actor=VKS&actor_role=initiator") == ["SYR-2023-0001"]
    assert refs("actor=VKS&actor_role=target") == ["SYR-2023-0002"]
    assert refs("country=RU&actor_role=initiator") == ["SYR-2023-0001"]
    assert refs("country=us&actor_role=initiator") == ["SYR-2023-0002"]
    assert set(refs("country=RU")) == {"SYR-2023-0001", "SYR-2023-0002"}
    assert refs("country=SY") == []


# --- aircraft, places, distance --------------------------------------------------------


def test_aircraft_filter(make_incident):
    reaper = Aircraft.objects.create(designation="MQ-9 Reaper", role=AircraftRole.UAV, crewed=False)
    fighter = Aircraft.objects.create(designation="Su-35", role=AircraftRole.FIGHTER, crewed=True)
    both = make_incident("SYR-2023-0001")
    both.incident_aircraft.create(aircraft=reaper, role="intercepted")
    both.incident_aircraft.create(aircraft=fighter, role="intercepting")
    make_incident("SYR-2023-0002").incident_aircraft.create(aircraft=reaper, role="intercepting")
    assert set(refs("aircraft=MQ-9 Reaper")) == {"SYR-2023-0001", "SYR-2023-0002"}
    assert refs("aircraft=MQ-9 Reaper&aircraft=Su-35") == ["SYR-2023-0001"]


def test_location_includes_the_places_inside_it(make_incident, make_location):
    homs = make_location("Homs Governorate", kind="governorate")
    tanf = make_location("al-Tanf", kind="garrison", parent=homs)
    raqqa = make_location("Raqqa")
    make_incident("SYR-2023-0001", location=tanf)
    make_incident("SYR-2023-0002", location=homs)
    make_incident("SYR-2023-0003", location=raqqa)
    assert set(refs("location=Homs Governorate")) == {"SYR-2023-0001", "SYR-2023-0002"}
    assert refs("location=al-Tanf") == ["SYR-2023-0001"]
    assert set(refs("location=al-Tanf&location=Raqqa")) == {"SYR-2023-0001", "SYR-2023-0003"}


def test_near_keeps_incidents_within_the_radius_edges_included(make_incident, make_location):
    tanf = make_location("al-Tanf", latitude=33.4978, longitude=38.6183, radius_km=55)
    # due north of al-Tanf: one degree of latitude is 111.19 km on the mean sphere
    at_54 = make_location("54.5 km north", latitude=33.4978 + 54.5 / 111.195, longitude=38.6183)
    at_56 = make_location("55.5 km north", latitude=33.4978 + 55.5 / 111.195, longitude=38.6183)
    east = make_location("54 km east", latitude=33.4978, longitude=38.6183 + 54 / 92.77)
    make_incident("SYR-2023-0001", location=tanf)
    make_incident("SYR-2023-0002", location=at_54)
    make_incident("SYR-2023-0003", location=at_56)
    make_incident("SYR-2023-0004", location=east)
    make_incident("SYR-2023-0005")  # no location: never near anything
    within = {"SYR-2023-0001", "SYR-2023-0002", "SYR-2023-0004"}
    assert set(refs("near=al-Tanf")) == within  # its own 55 km
    assert set(refs("near=al-Tanf&km=55")) == within
    assert set(refs("near=al-Tanf&km=56")) == within | {"SYR-2023-0003"}
    assert refs("near=al-Tanf&km=0") == ["SYR-2023-0001"]


def test_near_needs_a_distance_when_the_place_has_no_radius(make_location, db):
    make_location("Raqqa", latitude=35.95, longitude=39.0167)
    make_location("Nowhere")
    assert "km" in errors("near=Raqqa")
    assert "near" in errors("near=Nowhere&km=10")
    assert "near" in errors("km=10")


# --- words, order, combinations --------------------------------------------------------


def test_words_search_refs_titles_summaries_excerpts_actors_and_places(
    make_incident, forces, make_location
):
    from incidents.models import Source

    source = Source.objects.create(title="A briefing", reliability="C")
    make_incident("SYR-2023-0001", title="Drone harassed")
    make_incident("SYR-2023-0002", summary="The deconfliction line stayed open.")
    make_incident("SYR-2023-0003").incident_sources.create(
        source=source, excerpt="a pressure campaign", credibility=2
    )
    make_incident("SYR-2023-0004", actors=[(forces["vks"], ActorRole.INITIATOR)])
    make_incident("SYR-2023-0005", location=make_location("Khmeimim Air Base"))
    assert refs("q=drone") == ["SYR-2023-0001"]
    assert refs('q="deconfliction line"') == ["SYR-2023-0002"]
    assert refs('q="line deconfliction"') == []
    assert refs("q=pressure campaign") == ["SYR-2023-0003"]
    assert refs("q=vks") == ["SYR-2023-0004"]
    assert refs("q=khmeimim") == ["SYR-2023-0005"]
    assert refs("q=SYR-2023-0005") == ["SYR-2023-0005"]
    assert refs("q=100%25") == []  # LIKE wildcards are literal


def test_a_search_read_once_finds_what_its_subquery_finds(make_incident, forces):
    make_incident("SYR-2023-0001", title="Drone harassed")
    make_incident("SYR-2023-0002", actors=[(forces["vks"], ActorRole.INITIATOR)])
    make_incident("SYR-2023-0003", summary="A drone and the VKS")
    make_incident("SYR-2023-0004", title="Nothing to see")
    for text in ["drone", "vks", "drone vks", "nowhere"]:
        search = Incident.objects.matching(text)
        read_once = Incident.objects.filter(pk__in=search.ids_read_once())
        as_subquery = Incident.objects.filter(pk__in=search.ids_read_once(limit=1))
        expected = set(search.values_list("ref", flat=True))
        assert set(read_once.values_list("ref", flat=True)) == expected, text
        assert set(as_subquery.values_list("ref", flat=True)) == expected, text
    assert Incident.objects.filter(pk__in=Incident.objects.matching("drone vks").ids_read_once())
    assert not Incident.objects.filter(
        pk__in=Incident.objects.matching("nowhere").ids_read_once()
    ).exists()


def test_the_list_page_searches_the_text_once_for_its_rows_count_and_facets(
    make_incident, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_incident("SYR-2023-0001", title="Drone harassed")
    make_incident("SYR-2023-0002", title="A balloon")
    with CaptureQueriesContext(connection) as queries:
        page = client_for("viewer").get("/incidents/?q=harassed")
    assert page.status_code == 200
    assert [i.ref for i in page.context["incidents"]] == ["SYR-2023-0001"]
    assert page.context["facets"], "the facets are shown"
    scans = [q["sql"] for q in queries.captured_queries if "%harassed%" in q["sql"]]
    assert len(scans) == 1, scans


def test_ordering_newest_first_by_default_and_each_sort(make_incident):
    make_incident("SYR-2016-0001", date_start=D(2016, 6, 1), risk_tier="high_risk")
    make_incident("SYR-2023-0002", date_start=D(2023, 3, 1), risk_tier="near_routine")
    make_incident("SYR-2023-0001", date_start=D(2023, 3, 1), risk_tier="serious")
    assert refs("") == ["SYR-2023-0002", "SYR-2023-0001", "SYR-2016-0001"]
    assert refs("ordering=date") == ["SYR-2016-0001", "SYR-2023-0001", "SYR-2023-0002"]
    assert refs("ordering=ref") == ["SYR-2016-0001", "SYR-2023-0001", "SYR-2023-0002"]
    assert refs("ordering=-risk") == ["SYR-2016-0001", "SYR-2023-0001", "SYR-2023-0002"]
    assert refs("ordering=risk")[0] == "SYR-2023-0002"


def test_russian_intercepts_of_us_drones_in_2023_from_the_seeds(load_seeds):
    query = (
        "incident_type=air_intercept&actor=Russian Armed Forces&actor_role=initiator"
        "&aircraft=MQ-9 Reaper&date_after=2023-01-01&date_before=2023-12-31"
    )
    assert refs(query) == ["SYR-2023-0002"]
    assert set(refs("near=al-Tanf")) == {"SYR-2023-0003", "SYR-2023-0004"}
    assert refs("location=Deir ez-Zor Governorate&date_after=2017-09-01&date_before=2017-09-30")


def test_the_summary_says_the_filter_in_words(load_seeds):
    query = "actor=VKS&near=al-Tanf&km=55&date_after=2023-03-01&date_before=2023-12-31"
    filterset = IncidentFilter(QueryDict(query), queryset=Incident.objects.all())
    assert filterset.summary(filterset.qs.count()) == (
        "1 incident involving Russian Aerospace Forces within 55 km of al-Tanf, Mar–Dec 2023"
    )


# --- invalid input ---------------------------------------------------------------------

INVALID = {
    "date_after": ["2023-13-01", "03/04/2026", "yesterday", "2023-02-30", "\x00"],
    "date_before": ["0", "1e400", "2023-1-1x"],
    "incident_type": ["intercept", "<script>"],
    "domain": ["space"],
    "status": ["rumoured"],
    "risk_tier": ["extreme"],
    "date_precision": ["hour"],
    "actor": ["Rusia", "x" * 300, "a\x00b"],
    "actor_role": ["pilot"],
    "country": ["Russia", "R1"],
    "aircraft": ["MQ-1"],
    "location": ["Atlantis"],
    "near": ["Atlantis"],
    "km": ["-1", "1e400", "nan", "inf", "far", "30000"],
    "ordering": ["title", "-date;DROP TABLE"],
    "q": ["x" * 300, "nul\x00byte", " ".join(f"w{i}" for i in range(11))],
}
INVALID_CASES = [(name, value) for name, values in INVALID.items() for value in values]


@pytest.mark.parametrize(("name", "value"), INVALID_CASES)
def test_an_invalid_value_shows_the_error_beside_the_field_and_no_rows(
    load_seeds, client_for, name, value
):
    client = client_for("viewer")
    extra = {"near": "al-Tanf"} if name == "km" else {}
    response = client.get(reverse("incidents:list"), {name: value, **extra})
    assert response.status_code == 200
    form = response.context["filter"].form
    assert name in form.errors
    assert response.context["incidents"] == []
    assert "No incidents shown" in response.content.decode()
    assert f'id="id_{name}_error"' in response.content.decode()

    export = client.get(reverse("incidents:export", args=["csv"]), {name: value, **extra})
    assert export.status_code == 400
    assert name in export.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "35 incidents"),
        ("incident_type=negotiation", "4 incidents of type negotiation or agreement"),
        ("incident_type=isr_overflight", "1 ISR overflight"),
        (
            "incident_type=air_intercept&status=reported&risk_tier=serious",
            "2 air intercepts (status reported; risk tier serious)",
        ),
        ("country=RU&actor_role=target", "1 incident with actors from RU as target"),
        (
            "q=drone&date_after=2023-01-01&date_before=2023-12-31",
            "2 incidents matching “drone”, 2023",
        ),
        (
            "location=Homs Governorate&date_before=2020-01-01",
            "2 incidents in Homs Governorate, until 1 Jan 2020",
        ),
    ],
)
def test_summaries_read_as_sentences(load_seeds, query, expected):
    filterset = IncidentFilter(QueryDict(query), queryset=Incident.objects.all())
    assert filterset.summary(filterset.qs.count()) == expected


@pytest.mark.parametrize("km", ["", "20"])
def test_a_place_without_coordinates_is_named_once(client_for, make_location, km):
    make_location("Somewhere in the desert", radius_km=10)  # a zone drawn without a centre
    params = {"near": "Somewhere in the desert"} | ({"km": km} if km else {})
    page = client_for("viewer").get("/incidents/", params).content.decode()
    beside_the_field = page.split('id="id_near_error">')[1].split("</div>")[0]
    assert beside_the_field.count("has no coordinates to measure from") == 1
    summary = page.split('class="errors"')[1].split("</ul>")[0]
    assert summary.count("has no coordinates to measure from") == 1
