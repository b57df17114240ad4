"""Helpers shared by test modules (tests never import each other)."""

import io
from html.parser import HTMLParser
from pathlib import Path

from concurrency.forms import get_signer

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

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))


def signed_version(instance):
    """The version field of a form opened on ``instance`` as it is in the database now."""
    instance.refresh_from_db(fields=["version"])
    return get_signer().sign(instance.version)


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = form_id is None
        self.fields = {}
        self.select = None
        self.textarea = None
        self.seen_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.seen_form:
            if self.form_id is None or attrs.get("id") == self.form_id:
                self.inside, self.seen_form = True, True
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value", "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.fields[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "first": None, "on": []}
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.select["on"].append(value)
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            # as a browser submits it: a multiple select with nothing chosen sends nothing,
            # a single one without a selected option sends its first
            select, self.select = self.select, None
            if select["multiple"]:
                if select["on"]:
                    self.fields[select["name"]] = select["on"]
            else:
                self.fields[select["name"]] = (select["on"] or [select["first"] or ""])[-1]
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.inside and self.seen_form:
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += (
                data.lstrip("\n") if not self.fields[self.textarea] else data
            )


def form_fields(html, form_id=None):
    """The fields a browser would submit from the page's form (the first, or ``form_id``)."""
    reader = _FormReader(form_id)
    reader.feed(html if isinstance(html, str) else html.decode())
    return reader.fields


MODELS = [
    Actor,
    Location,
    Aircraft,
    Source,
    Incident,
    IncidentActor,
    IncidentAircraft,
    IncidentSource,
]


def delete_all(model):
    """Empty a table; in a hierarchy (PROTECTed parents) leaves go first."""
    while model.objects.exists():
        rows = model.objects.all()
        if hasattr(model, "children"):
            rows = rows.filter(children__isnull=True)
        rows.delete()


def table_state():
    """Everything an import could touch, to prove a refused one touched nothing."""
    from incidents.models import (
        Actor,
        Aircraft,
        IncidentActor,
        IncidentAircraft,
        IncidentSource,
        Location,
        Source,
    )

    state = {}
    for model in (
        Incident,
        IncidentActor,
        IncidentAircraft,
        IncidentSource,
        Actor,
        Location,
        Aircraft,
        Source,
    ):
        state[model.__name__] = sorted(map(repr, model.objects.values_list()))
        state["history_" + model.__name__] = model.history.count()
    return state


def incident_form(**overrides):
    data = {
        "ref": "SYR-2025-0001",
        "title": "Su-35 shadows an MQ-9 near al-Tanf",
        "summary": "",
        "incident_type": "air_intercept",
        "domain": "air",
        "date_start": "2025-01-02",
        "date_end": "2025-01-02",
        "date_precision": "day",
        "location": "",
        "location_precision": "exact",
        "status": "reported",
        "risk_tier": "not_assessed",
        "us_safety": "unknown",
        "us_professionalism": "unknown",
        "deconfliction_channel_used": "unknown",
        "fatalities_low": "",
        "fatalities_best": "",
        "fatalities_high": "",
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
    data.update(overrides)
    return data


HEADER = "ref,title,incident_type,domain,date_start,date_end,location,initiators\n"
GOOD = (
    "SYR-2025-0100,Su-35 shadows an MQ-9,air_intercept,air,2025-02-03,2025-02-03,al-Tanf,"
    "Russian Aerospace Forces\n"
)


def upload(content, name="incidents.csv", fmt=0):
    handle = io.BytesIO(content)
    handle.name = name
    return {"import_file": handle, "format": str(fmt), "resource": "0"}
