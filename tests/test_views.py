"""The analyst pages: who may see them, what they show, and what they cost in queries."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from incidents.models import Actor, Incident, IncidentType, Location

PAGES = [
    ("incidents:list", []),
    ("incidents:detail", ["SYR-2023-0002"]),
    ("incidents:actor_list", []),
    ("incidents:location_list", []),
    ("incidents:aircraft_list", []),
]
EXPORTS = [("incidents:export", [fmt]) for fmt in ("csv", "xlsx", "json", "geojson")]


def url_of(name, args):
    return reverse(name, args=args)


def reference_pages():
    return [
        reverse("incidents:actor_detail", args=[Actor.objects.get(name="US Air Force").pk]),
        reverse("incidents:location_detail", args=[Location.objects.get(name="al-Tanf").pk]),
        Incident.objects.get(ref="SYR-2023-0002")
        .incident_aircraft.first()
        .aircraft.get_absolute_url(),
    ]


def every_url():
    return [url_of(name, args) for name, args in PAGES + EXPORTS] + reference_pages()


def test_every_page_and_export_needs_a_login(load_seeds, client):
    for url in every_url():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_a_logged_in_user_without_a_role_is_refused(load_seeds, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x" * 20))
    for url in every_url():
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["viewer", "editor", "importer", "administrator"])
def test_every_role_sees_every_page_and_export(load_seeds, client_for, role):
    client = client_for(role)
    for url in every_url():
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            assert b"".join(response.streaming_content)


def test_the_login_page_logs_in_and_returns_to_the_list(load_seeds, client, make_user):
    make_user("viewer")
    response = client.post(
        reverse("login"),
        {"username": "viewer", "password": "a long passphrase 42", "next": "/incidents/"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert client.get("/incidents/").status_code == 200
    client.post(reverse("logout"))
    assert client.get("/incidents/").status_code == 302


def test_a_viewer_sees_no_edit_links_and_an_editor_does(load_seeds, client_for):
    pages = [reverse("incidents:detail", args=["SYR-2023-0002"]), *reference_pages()]
    viewer, editor = client_for("viewer"), client_for("editor")
    for url in pages:
        assert "/admin/incidents/" not in viewer.get(url).content.decode(), url
        assert 'href="/admin/incidents/' in editor.get(url).content.decode(), url
    assert ">Edit this incident<" in editor.get(pages[0]).content.decode()


def test_the_detail_page_shows_actors_aircraft_sources_and_history(load_seeds, client_for):
    page = client_for("viewer").get(reverse("incidents:detail", args=["SYR-2023-0002"]))
    text = page.content.decode()
    assert "Russian forces intercept a US MQ-9 Reaper" in text
    assert "Mar–Jul 2023" in text
    for expected in ("Russian Armed Forces", "Initiator", "US Air Force", "Target", "MQ-9 Reaper"):
        assert expected in text
    citation = Incident.objects.get(ref="SYR-2023-0002").incident_sources.get()
    assert citation.grade == "C2"
    assert '<span class="grade"' in text and ">C2</span>" in text
    assert citation.excerpt[:60] in text.replace("&quot;", '"').replace("&#x27;", "'")
    assert "<svg" in text  # the locator map
    assert "History" in text
    assert 'href="/incidents/SYR-2023-0001/"' in text  # same actors / same place


def test_the_detail_page_lists_an_edit_in_its_history(load_seeds, client_for, django_user_model):
    editor = client_for("editor")
    incident = Incident.objects.get(ref="SYR-2023-0002")
    for title in ("Russian forces intercept an MQ-9", "Russian jets intercept an MQ-9"):
        incident.title = title
        incident._history_user = django_user_model.objects.get(username="editor")
        incident.save()
    text = editor.get(reverse("incidents:detail", args=[incident.ref])).content.decode()
    assert "Changed: title" in text
    assert "editor" in text


def test_an_unknown_ref_is_404(load_seeds, client_for):
    client = client_for("viewer")
    assert client.get("/incidents/SYR-2099-0001/").status_code == 404
    assert client.get("/incidents/not-a-ref/").status_code == 404
    assert client.get("/incidents/export.exe").status_code == 404


def test_the_list_shows_a_summary_facets_and_export_links_for_the_filter(load_seeds, client_for):
    query = {"incident_type": "air_intercept", "date_after": "2023-01-01"}
    client = client_for("viewer")
    response = client.get(reverse("incidents:list"), query)
    context = response.context
    assert context["summary"] == "2 air intercepts, since 1 Jan 2023"
    facets = {facet.name: facet for facet in context["facets"]}
    assert set(facets) == {
        "incident_type",
        "year",
        "actor",
        "location",
        "aircraft",
        "status",
        "risk_tier",
    }
    assert [(b.value, b.count, b.selected) for b in facets["incident_type"].buckets] == [
        ("air_intercept", 2, True)
    ]
    assert [(b.label, b.count) for b in facets["year"].buckets] == [("2023", 2)]
    assert ("MQ-9 Reaper", 1) in [(b.label, b.count) for b in facets["aircraft"].buckets]
    # a facet link adds its value to the current filter; a selected one removes it
    reaper = next(b for b in facets["aircraft"].buckets if b.label == "MQ-9 Reaper")
    assert reaper.query == "date_after=2023-01-01&incident_type=air_intercept&aircraft=MQ-9+Reaper"
    narrowed = client.get(reverse("incidents:list") + "?" + reaper.query)
    assert [i.ref for i in narrowed.context["incidents"]] == ["SYR-2023-0002"]
    selected = facets["incident_type"].buckets[0]
    assert selected.query == "date_after=2023-01-01"
    exports = dict(context["exports"])
    assert (
        exports["CSV"] == "/incidents/export.csv?date_after=2023-01-01&incident_type=air_intercept"
    )


def test_facet_counts_match_the_list_they_link_to(load_seeds, client_for):
    client = client_for("viewer")
    response = client.get(reverse("incidents:list"), {"date_after": "2016-01-01"})
    for facet in response.context["facets"]:
        for bucket in facet.buckets:
            if facet.name in ("actor", "location") or bucket.selected:
                continue  # sub-units and places inside widen those on purpose
            linked = client.get(reverse("incidents:list") + "?" + bucket.query)
            assert linked.context["page"].paginator.count == bucket.count, (facet.name, bucket)


def test_pages_of_fifty_with_a_total(client_for, make_incident):
    for number in range(1, 121):
        make_incident(f"SYR-2020-{number:04d}", date_start=datetime.date(2020, 1, 1))
    client = client_for("viewer")
    first = client.get(reverse("incidents:list"))
    assert len(first.context["incidents"]) == 50
    assert first.context["page"].paginator.num_pages == 3
    last = client.get(reverse("incidents:list"), {"page": "3"})
    assert len(last.context["incidents"]) == 20
    for hostile in ("0", "-1", "999", "abc", "1e400", "\x00"):
        assert client.get(reverse("incidents:list"), {"page": hostile}).status_code == 200


def list_queries(client, django_assert_max_num_queries, query, budget):
    with django_assert_max_num_queries(budget):
        response = client.get(reverse("incidents:list"), query)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [10, 1000])
def test_list_query_count_does_not_grow_with_rows(
    client_for, make_incident, make_actor, django_assert_max_num_queries, rows
):
    """The same budget at 10 and at 1,000 incidents, each with two actors."""
    vks, usaf = make_actor("VKS-like"), make_actor("USAF-like")
    for number in range(rows):
        make_incident(
            f"SYR-2021-{number:04d}",
            incident_type=IncidentType.AIR_INTERCEPT,
            actors=[(vks, "initiator"), (usaf, "target")],
        )
    client = client_for("viewer")
    client.get(reverse("incidents:list"))  # session and permissions warmed up
    list_queries(client, django_assert_max_num_queries, {}, 20)
    list_queries(
        client,
        django_assert_max_num_queries,
        {"actor": "VKS-like", "incident_type": "air_intercept", "q": "incident"},
        24,
    )
    detail = reverse("incidents:detail", args=["SYR-2021-0001"])
    with django_assert_max_num_queries(20):
        assert client.get(detail).status_code == 200


def test_a_submitted_form_redirects_to_a_url_without_its_empty_fields(load_seeds, client_for):
    response = client_for("viewer").get(
        "/incidents/?q=&date_after=2023-01-01&actor=&incident_type=air_intercept&km="
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/?date_after=2023-01-01&incident_type=air_intercept"


def test_the_dashboard_takes_the_lists_filter(load_seeds, client_for):
    client = client_for("viewer")
    response = client.get("/", {"incident_type": "air_intercept"})
    assert response.status_code == 200
    context = response.context
    assert context["total"] == 2
    assert context["list_url"] == "/incidents/?incident_type=air_intercept"
    bars = [bar for bar in context["timeline"].bars if bar.total]
    assert [(bar.label, bar.total) for bar in bars] == [("Mar 2023", 2)]
    segment = bars[0].segments[0]
    assert segment.query == (
        "incident_type=air_intercept&date_after=2023-03-01&date_before=2023-03-31"
    )
    yearly = client.get("/", {"incident_type": "air_intercept", "interval": "year"})
    assert [bar.label for bar in yearly.context["timeline"].bars] == ["2023"]
    places = json.loads(
        re.search(
            r'<script id="dashboard-map" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        ).group(1)
    )["places"]
    assert {place["name"]: place["count"] for place in places} == {"Syria": 2}
    assert places[0]["list_url"] == "/incidents/?incident_type=air_intercept&location=Syria"


def test_the_dashboard_shows_an_invalid_filter_as_an_error(load_seeds, client_for):
    response = client_for("viewer").get("/", {"date_after": "31/12/2023"})
    assert response.status_code == 200
    assert response.context["total"] == 0
    assert "Enter a valid date" in response.content.decode()


def test_pages_name_no_other_host_and_forbid_inline_code(load_seeds, client_for):
    client = client_for("editor")
    urls = ["/", "/incidents/", "/incidents/SYR-2023-0003/", "/accounts/login/"]
    urls += reference_pages()
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html), url
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
    from django.contrib.staticfiles import finders

    for asset in ("leaflet/leaflet.js", "leaflet/leaflet.css", "incidents/map.js"):
        assert finders.find(asset), asset  # served by this site, not a CDN


def test_facets_of_a_very_large_result_are_estimated_and_say_so(
    client_for, make_incident, monkeypatch
):
    from incidents import facets

    monkeypatch.setattr(facets, "EXACT_LIMIT", 10)
    for number in range(1, 41):
        make_incident(f"SYR-2020-{number:04d}", date_start=datetime.date(2020, 1, 1))
    response = client_for("viewer").get(reverse("incidents:list"))
    for facet in response.context["facets"]:
        assert facet.estimated and "Estimated from a sample" in facet.note
    assert "≈" in response.content.decode()
    assert response.context["page"].paginator.count == 40  # the total stays exact


def test_estimated_type_counts_add_up_to_the_exact_total(client_for, make_incident, monkeypatch):
    """Every incident has one type, so the estimates of the type facet, scaled from the
    1-in-16 sample, add up to the total shown above the list."""
    from incidents import facets

    monkeypatch.setattr(facets, "EXACT_LIMIT", 10)
    kinds = [IncidentType.AIR_INTERCEPT, IncidentType.NEGOTIATION, IncidentType.AIR_INTERCEPT]
    for number in range(64):  # 64 consecutive ids hold exactly 4 multiples of 16
        make_incident(f"SYR-2020-{number + 1:04d}", incident_type=kinds[number % 3])
    response = client_for("viewer").get(reverse("incidents:list"))
    types = next(f for f in response.context["facets"] if f.name == "incident_type")
    assert types.estimated
    assert sum(bucket.count for bucket in types.buckets) == 64
    assert all(bucket.count % 16 == 0 for bucket in types.buckets)


def test_the_actor_facet_shows_the_twelve_most_frequent_ties_by_name(
    client_for, make_incident, make_actor
):
    """An actor in two roles of one incident counts once; equal counts are in name order,
    and the twelfth place goes to the first name among those tied for it."""
    busiest = make_actor("Zeta force")
    twice = make_actor("Omega force")
    tied = [make_actor(f"Tied {letter}") for letter in "QPONMLKJIHGFEDCBA"]
    for _ in range(3):
        make_incident(actors=[(busiest, "initiator"), (twice, "initiator"), (twice, "target")])
    for actor in tied:
        make_incident(actors=[(actor, "initiator")])
    response = client_for("viewer").get(reverse("incidents:list"))
    actors = next(f for f in response.context["facets"] if f.name == "actor")
    shown = [(bucket.label, bucket.count) for bucket in actors.buckets]
    assert shown == [("Omega force", 3), ("Zeta force", 3)] + [
        (f"Tied {letter}", 1) for letter in "ABCDEFGHIJ"
    ]


def test_reference_counts_agree_between_the_admin_and_the_analyst_pages(
    client_for, make_incident, make_actor, make_location
):
    parent = make_actor("Russian Armed Forces")
    unit = make_actor("Russian Aerospace Forces", parent=parent)
    place = make_location("al-Tanf")
    inside = make_location("al-Tanf garrison", parent=place)
    # the parent holds two roles in one incident; a sub-unit and an inner place have their own
    make_incident(actors=[(parent, "initiator"), (parent, "participant")], location=place)
    make_incident(actors=[(unit, "initiator")], location=inside)
    client = client_for("administrator")

    for model, row, analyst_url in (
        ("actor", parent, "/actors/"),
        ("location", place, "/locations/"),
    ):
        changelist = client.get(f"/admin/incidents/{model}/", {"q": row.name})
        shown = {r.pk: r.incident_count for r in changelist.context["cl"].result_list}
        admin_count = shown[row.pk]
        analyst = {r.pk: r.incident_count for r in client.get(analyst_url).context["object_list"]}
        assert admin_count == analyst[row.pk] == 1
        page = changelist.content.decode()
        link = page.split('href="/admin/incidents/incident/?')[1].split('"')[0]
        listed = client.get("/admin/incidents/incident/?" + link.replace("&amp;", "&"))
        assert listed.context["cl"].result_count == admin_count, (model, link)
