"""Names are plain text: markup is refused in the admin, and an old row's is shown as text.

The browser side (Leaflet's tooltips and popups) is in test_browser.py.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.models import Actor, Incident, Location
from incidents.validators import no_markup

from .helpers import form_fields, table_state

MESSAGE = "Names may not contain markup such as <img …>: write it as plain text."
IMG = "<img src=x onerror=alert(1)>"

# (admin model, field, the other fields a valid add form needs)
NAME_FIELDS = {
    "location name": ("location", "name", {"kind": "city"}),
    "location alternative names": (
        "location",
        "alternative_names",
        {"name": "Tell Abyad", "kind": "city"},
    ),
    "actor name": ("actor", "name", {"kind": "state_forces"}),
    "incident title": (
        "incident",
        "title",
        {
            "ref": "SYR-2025-0001",
            "incident_type": "air_intercept",
            "domain": "air",
            "date_start": "2025-01-02",
            "date_end": "2025-01-02",
        },
    ),
}
MODELS = {"location": Location, "actor": Actor, "incident": Incident}


def add_form(client, model, **fields):
    """The admin's add page and the form a browser sends from it, ``fields`` filled in."""
    url = f"/admin/incidents/{model}/add/"
    response = client.get(url)
    assert response.status_code == 200
    return url, {**form_fields(response.content, f"{model}_form"), **fields}


@pytest.mark.parametrize(
    "text",
    [
        IMG,
        "<b id=zonebold>Z</b>",
        "al-Tanf</b>",
        "Raqqa <!-- a comment -->",
        "<?xml version='1.0'?>",
        "<svg/onload=alert(1)>",
        "an unclosed <script",
        "first line\n<i>second</i>",
    ],
)
def test_markup_is_refused(text):
    with pytest.raises(ValidationError) as refused:
        no_markup(text)
    assert refused.value.messages == [MESSAGE]


@pytest.mark.parametrize(
    "text", ["a < b", "5<10 km", "x <= 3", "<3", "<- east", "al-Tanf", "التنف"]
)
def test_plain_text_with_a_less_than_sign_is_accepted(text):
    no_markup(text)


@pytest.mark.parametrize("case", NAME_FIELDS.values(), ids=NAME_FIELDS.keys())
def test_an_editor_is_refused_markup_in_a_name_and_nothing_is_saved(client_for, case):
    model, field, others = case
    client = client_for("editor")
    url, data = add_form(client, model, **others, **{field: IMG})
    before = table_state()

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [MESSAGE]}
    # the message is shown, as text
    assert "Names may not contain markup such as &lt;img …&gt;" in response.content.decode()
    assert table_state() == before


@pytest.mark.parametrize("text", ["a < b", "5<10 km"])
@pytest.mark.parametrize("case", NAME_FIELDS.values(), ids=NAME_FIELDS.keys())
def test_an_editor_saves_a_plain_name_with_a_less_than_sign(client_for, case, text):
    model, field, others = case
    client = client_for("editor")
    url, data = add_form(client, model, **others, **{field: text})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert MODELS[model].objects.filter(**{field: text}).count() == 1


def test_pages_put_an_old_rows_markup_name_in_as_text(client_for, make_location, make_incident):
    # rows saved before the validator (or by raw SQL): create() does not validate
    place = make_location(IMG, latitude=35.33, longitude=40.14)
    make_location("<b id=zonebold>Z</b>", latitude=35.3, longitude=40.1, radius_km=30)
    neighbour = make_location("Deir ez-Zor", latitude=35.34, longitude=40.15)
    make_incident(location=place)
    client = client_for("viewer")

    for url in (
        reverse("incidents:dashboard"),
        place.get_absolute_url(),  # its heading, its map's focus, its SVG locator
        neighbour.get_absolute_url(),  # the locator's label of a neighbour
    ):
        page = client.get(url).content.decode()
        assert "<img src=x" not in page, url
        assert "<b id=zonebold>" not in page, url
    heading = client.get(place.get_absolute_url()).content.decode()
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in heading
