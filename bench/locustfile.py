"""The load `make bench` puts on the site: analysts reading, one exporting, editors saving.

Run by bench.sections.load (`locust --headless`), with BENCH_SESSION holding a logged-in
session and the project on PYTHONPATH. Analysts list, filter, open incidents and the
dashboard; one user at a time downloads an export of a year; editors add incidents through
the admin. Every answer of 400 or more is a failure worded "HTTP <status>", a 503 (the
database busy) included, except a detail page's 404 for a ref the generator did not use.
"""

import itertools
import os
import random

from locust import HttpUser, between, task

from bench.forms import ADMIN_ADD_URL, CSRF_COOKIE, admin_add_data, csrf_token, new_ref

SESSION = os.environ.get("BENCH_SESSION", "")
FILTERS = [
    "",
    "incident_type=air_intercept",
    "incident_type=negotiation&date_after=2020-01-01&date_before=2020-12-31",
    "status=confirmed&risk_tier=serious",
    "q=Generated+air+intercept",
    "date_after=2023-06-01&date_before=2023-06-30",
]
REFS = [f"GAA-{year}-{n:04d}" for year in range(2015, 2025) for n in (1, 17, 300, 4000)]
serial = itertools.count(1)


class SiteUser(HttpUser):
    abstract = True

    def on_start(self):
        self.client.cookies.set("sessionid", SESSION)
        # what the proxy tells production settings: the request came over HTTPS
        self.client.headers["X-Forwarded-Proto"] = "https"

    def get(self, path, name, allowed=()):
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code in allowed:
                response.success()
            else:
                failed(response)
        return response


def failed(response, expected=200):
    """Fail an answer other than ``expected``, worded as bench.sections.load reads it."""
    if response.status_code != expected:
        response.failure(f"HTTP {response.status_code}")


class Analyst(SiteUser):
    weight = 8
    wait_time = between(0.5, 2)

    @task(4)
    def list_page(self):
        self.get(f"/incidents/?{random.choice(FILTERS)}", "/incidents/?filter")

    @task(3)
    def detail(self):
        # a 404 is a ref the generator did not use at this size
        self.get(f"/incidents/{random.choice(REFS)}/", "/incidents/<ref>/", allowed=(404,))

    @task(1)
    def dashboard(self):
        self.get(f"/?{random.choice(FILTERS)}", "/?filter")


class Exporter(SiteUser):
    weight = 1
    fixed_count = 1
    wait_time = between(1, 3)

    @task
    def export(self):
        year = random.randint(2015, 2024)
        self.get(
            f"/incidents/export.csv?date_after={year}-01-01&date_before={year}-12-31",
            "/incidents/export.csv?year",
        )


class Editor(SiteUser):
    weight = 1
    fixed_count = 2
    wait_time = between(2, 5)

    @task
    def add_incident(self):
        if self.get(ADMIN_ADD_URL, "admin add (form)").status_code != 200:
            return
        token = csrf_token(self.client.cookies)
        with self.client.post(
            ADMIN_ADD_URL,
            data=admin_add_data(new_ref("LDT", next(serial)), token),
            # The users speak to gunicorn over loopback as the TLS proxy in front of it
            # does, but requests keeps production's Secure CSRF cookie from plain HTTP.
            cookies={CSRF_COOKIE: token},
            headers={"Referer": "https://" + self.host.split("://", 1)[1] + ADMIN_ADD_URL},
            name="admin add (save)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            failed(response, expected=302)
