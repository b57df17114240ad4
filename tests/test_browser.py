"""The pages in a real browser: Debian's Chromium driven by Playwright, with no network.

Every request a page makes must go to the test server; any other host fails the test.
Console errors (CSP violations included) fail it too, and axe-core must find no serious or
critical accessibility violation. A screenshot of each page is saved under
test-output/screenshots/ for a reviewer.

Skipped, with the reason, only where Chromium is not installed; never in CI.
"""

import csv
import io
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from incidents.models import Incident, IncidentType, Location, LocationKind

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-output" / "screenshots"
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))
PASSWORD = "a long passphrase 42"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must install Chromium ({CHROMIUM}): apt-get install chromium")
    pytest.skip(
        f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (fixtures, checks) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


class Watched:
    """A page whose requests, console and CSP are checked as it is used."""

    def __init__(self, context, base_url):
        self.base = urlsplit(base_url)
        self.outside, self.errors = [], []
        context.route("**/*", self.only_our_server)
        self.page = context.new_page()
        self.page.on("console", self.on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def only_our_server(self, route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.base.netloc:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def on_console(self, message):
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def check(self, name, axe=True):
        """No request out, no console error, no serious accessibility problem; a screenshot.

        ``axe=False`` for Django's own admin pages, whose markup is Django's."""
        from axe_playwright_python.sync_playwright import Axe

        page = self.page
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if axe:
            results = Axe().run(page)
            serious = [
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], f"{name}: {serious}"
        assert self.outside == [], f"{name}: requests to other hosts {self.outside}"
        assert self.errors == [], f"{name}: {self.errors}"


@pytest.fixture
def seeded(live_server, make_user):
    from django.contrib.auth.models import Group, Permission

    from incidents.roles import ensure_groups

    ensure_groups(Group, Permission)  # a transactional test's flush removed them
    call_command("loaddata", *map(str, FIXTURES), verbosity=0)
    make_user("viewer", "nadia")
    make_user("editor", "omar")
    return live_server.url


@pytest.fixture
def new_page(browser, seeded):
    contexts = []

    def make():
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, base_url=seeded
        )
        contexts.append(context)
        return Watched(context, seeded)

    yield make
    for context in contexts:
        context.close()


def log_in(page, username):
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def listed_refs(page):
    return [ref.strip() for ref in page.locator("table.incidents td.ref").all_inner_texts()]


def test_analyst_flow_from_dashboard_to_export_and_out(new_page):
    watched = new_page()
    page = watched.page
    page.goto("/accounts/login/")
    watched.check("login")

    log_in(page, "nadia")
    assert urlsplit(page.url).path == "/"
    # the timeline and the map show the seed incidents
    assert page.locator(".timeline-chart rect").count() >= 10
    page.wait_for_selector("[data-map][data-ready='true']")
    assert page.locator("path.place").count() >= 10
    assert page.get_by_text("No base map is loaded").is_visible()
    watched.check("dashboard")

    # a bar opens the list filtered to its month and type
    bar = page.locator(".timeline-chart a").filter(has=page.locator("rect.type-air_intercept"))
    bar.first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/incidents/"
    assert "incident_type=air_intercept" in page.url
    assert listed_refs(page) and all(ref.startswith("SYR-2023") for ref in listed_refs(page))

    # a facet adds a filter: the count it showed is the count listed
    page.goto("/incidents/?date_after=2017-01-01&date_before=2017-12-31")
    facet = page.locator("#facet-status + ul li").first
    expected = int(facet.locator(".count").inner_text())
    facet.get_by_role("link").click()
    page.wait_for_load_state()
    assert "status=" in page.url
    assert len(listed_refs(page)) == expected
    watched.check("list")

    # the browser's CSV download holds the list's rows
    shown = listed_refs(page)
    with page.expect_download() as download:
        page.locator("p.exports").get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert [row["ref"] for row in rows] == shown

    # an incident, with its sources, its map and no edit link for a viewer
    page.get_by_role("link", name=shown[0]).click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/incidents/{shown[0]}/"
    page.wait_for_selector("[data-map][data-ready='true']")
    assert page.locator(".grade").count() >= 1
    assert page.get_by_text("Edit this incident").count() == 0
    watched.check("detail")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    page.goto("/incidents/")
    assert "/accounts/login/" in page.url
    assert watched.outside == [] and watched.errors == []


def pick(page, field_id, typed, option):
    """Choose in one of the admin's autocomplete (select2) widgets by typing."""
    page.locator(f"#select2-{field_id}-container").locator("xpath=..").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=option).first.click()


def test_editor_adds_an_incident_through_the_inlines_and_finds_it(new_page):
    watched = new_page()
    page = watched.page
    log_in(page, "omar")
    page.goto("/admin/incidents/incident/add/")
    page.fill("#id_ref", "SYR-2023-0999")
    page.fill("#id_title", "Su-35 shadows an MQ-9 near al-Tanf")
    page.select_option("#id_incident_type", "air_intercept")
    page.select_option("#id_domain", "air")
    page.fill("#id_date_start", "2023-07-23")
    page.fill("#id_date_end", "2023-07-23")
    pick(page, "id_location", "Tanf", "al-Tanf")
    pick(page, "id_incident_actors-0-actor", "Aero", "Russian Aerospace Forces")
    page.select_option("#id_incident_actors-0-role", "initiator")
    pick(page, "id_incident_actors-1-actor", "Air Force", "US Air Force")
    page.select_option("#id_incident_actors-1-role", "target")
    pick(page, "id_incident_aircraft-0-aircraft", "MQ-9", "MQ-9 Reaper")
    page.select_option("#id_incident_aircraft-0-role", "intercepted")
    pick(page, "id_incident_sources-0-source", "Russian", "Russian Military")
    page.fill("#id_incident_sources-0-excerpt", "Russian warplanes harassing American drones")
    page.select_option("#id_incident_sources-0-credibility", "2")
    watched.check("admin-add", axe=False)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".messagelist .success").count() == 1, page.content()[:2000]

    incident = Incident.objects.get(ref="SYR-2023-0999")
    assert incident.location.name == "al-Tanf"
    assert sorted((link.actor.name, link.role) for link in incident.incident_actors.all()) == [
        ("Russian Aerospace Forces", "initiator"),
        ("US Air Force", "target"),
    ]
    assert incident.incident_sources.get().grade == "C2"

    page.goto("/incidents/?q=SYR-2023-0999")
    assert listed_refs(page) == ["SYR-2023-0999"]
    page.goto("/admin/incidents/incident/?q=0999")
    assert page.get_by_role("link", name="SYR-2023-0999").count() == 1
    assert watched.outside == [] and watched.errors == []


def test_a_configured_tile_server_that_cannot_be_reached_leaves_a_plain_map(new_page, settings):
    import copy

    from config.settings import tile_origin

    settings.MAP_TILE_URL = "https://tiles.example.invalid/{z}/{x}/{y}.png"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"].append(tile_origin(settings.MAP_TILE_URL))
    settings.CONTENT_SECURITY_POLICY = policy
    watched = new_page()
    page = watched.page
    log_in(page, "nadia")
    page.wait_for_selector("[data-map][data-base='none']", timeout=15000)
    assert page.get_by_text("The base map could not be loaded").is_visible()
    assert page.locator("path.place").count() >= 10
    assert all(re.match(r"https://tiles\.example\.invalid/", url) for url in watched.outside)
    assert watched.outside, "the tiles were asked for"
    # the only errors are the tiles that could not be fetched
    assert all("Failed to load resource" in error for error in watched.errors), watched.errors


def test_markup_in_a_name_is_shown_as_text_in_the_maps_labels_and_popups(new_page):
    from playwright.sync_api import expect

    # Rows as an old database or a raw SQL insert holds them: create() skips the validator.
    # East of every seed place and zone, so theirs are the easternmost markers on the map.
    name, zone_name = "<img src=x onerror=alert(1)>", "<b id=zonebold>Z</b>"
    place = Location.objects.create(
        name=name, kind=LocationKind.CITY, latitude=36.3, longitude=43.1
    )
    Location.objects.create(
        name=zone_name, kind=LocationKind.ZONE, latitude=31.5, longitude=43.0, radius_km=60
    )
    Incident.objects.create(
        ref="SYR-2023-0998",
        title="An intercept at a place with markup in its name",
        incident_type=IncidentType.AIR_INTERCEPT,
        domain="air",
        date_start="2023-08-01",
        date_end="2023-08-01",
        location=place,
    )
    watched = new_page()
    page = watched.page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, "nadia")

    def easternmost(selector):
        return max(page.locator(selector).all(), key=lambda path: path.bounding_box()["x"])

    def tooltip_of(marker):
        marker.hover()
        tooltip = page.locator(".leaflet-tooltip")
        expect(tooltip).to_have_count(1)
        return tooltip.inner_text()

    def nothing_ran(name):
        for canvas in page.locator("[data-map]").all():
            assert canvas.locator("img").count() == 0
        assert page.locator("#zonebold").count() == 0
        assert dialogs == []
        watched.check(name)

    page.wait_for_selector("[data-map][data-ready='true']")
    assert tooltip_of(easternmost("path.place")) == f"{name} (1)"
    easternmost("path.place").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_have_count(1)
    assert popup.locator("strong a").inner_text() == name
    assert popup.get_by_role("link", name=f"List the incidents in {name}").count() == 1
    assert tooltip_of(easternmost("path.zone")) == f"{zone_name}: 60 km zone"
    nothing_ran("markup-names-dashboard")

    page.goto(place.get_absolute_url())
    assert page.locator("h1").inner_text() == name
    page.wait_for_selector("[data-map][data-ready='true']")
    assert tooltip_of(page.locator("path.focus")) == name
    assert tooltip_of(easternmost("path.zone")) == f"{zone_name}: 60 km zone"
    nothing_ran("markup-names-location")
