"""The load `make bench` puts on the site: analysts reading, one exporting, editors saving.

Run by bench/run.py (`locust --headless`), with BENCH_COOKIE holding a logged-in session.
Analysts list, filter, open incidents and the dashboard; one user at a time downloads an
export of a year; editors add incidents through the admin. Every answer of 500 or more
is a failure, a 503 (the database busy) included.
"""

import itertools
import os
import random
import re

from locust import HttpUser, between, task

SESSION = os.environ.get("BENCH_COOKIE", "").partition("=")[2]  # "sessionid=…"


def log_in(user):
    # In the cookie jar, beside the CSRF cookie the forms set (a Cookie header would hide it).
    user.client.cookies.set("sessionid", SESSION)


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
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Analyst(HttpUser):
    weight = 8
    wait_time = between(0.5, 2)

    def on_start(self):
        log_in(self)

    @task(4)
    def list_page(self):
        self.client.get(f"/incidents/?{random.choice(FILTERS)}", name="/incidents/?filter")

    @task(3)
    def detail(self):
        with self.client.get(
            f"/incidents/{random.choice(REFS)}/", name="/incidents/<ref>/", catch_response=True
        ) as response:
            if response.status_code == 404:
                response.success()  # a ref the generator did not use

    @task(1)
    def dashboard(self):
        self.client.get(f"/?{random.choice(FILTERS)}", name="/?filter")


class Exporter(HttpUser):
    weight = 1
    fixed_count = 1
    wait_time = between(1, 3)

    def on_start(self):
        log_in(self)

    @task
    def export(self):
        year = random.randint(2015, 2024)
        self.client.get(
            f"/incidents/export.csv?date_after={year}-01-01&date_before={year}-12-31",
            name="/incidents/export.csv?year",
        )


class Editor(HttpUser):
    weight = 1
    fixed_count = 2
    wait_time = between(2, 5)

    def on_start(self):
        log_in(self)

    @task
    def add_incident(self):
        page = self.client.get("/admin/incidents/incident/add/", name="admin add (form)")
        token = TOKEN.search(page.text)
        if token is None:
            return
        number = next(serial)
        data = {
            "csrfmiddlewaretoken": token[1],
            "ref": f"LDT-{2000 + number // 9999}-{number % 9999 + 1:04d}",
            "title": f"Added under load {number}",
            "incident_type": "air_intercept",
            "domain": "air",
            "date_start": "2024-02-03",
            "date_end": "2024-02-03",
            "date_precision": "day",
            "location_precision": "exact",
            "status": "reported",
            "risk_tier": "not_assessed",
            "us_safety": "unknown",
            "us_professionalism": "unknown",
            "deconfliction_channel_used": "unknown",
        }
        for prefix in ("incident_actors", "incident_aircraft", "incident_sources"):
            data.update(
                {
                    f"{prefix}-TOTAL_FORMS": "0",
                    f"{prefix}-INITIAL_FORMS": "0",
                    f"{prefix}-MIN_NUM_FORMS": "0",
                    f"{prefix}-MAX_NUM_FORMS": "1000",
                }
            )
        with self.client.post(
            "/admin/incidents/incident/add/",
            data=data,
            headers={"Referer": self.host + "/admin/incidents/incident/add/"},
            name="admin add (save)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 503:
                response.failure("503 busy")
            elif response.status_code != 302:
                response.failure(f"save answered {response.status_code}")
