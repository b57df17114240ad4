"""The site's forms as the bench fills them in: the CSRF token, a form's fields, the admin's
add form. Standard library only: the locustfile imports it too, so both send the same
form the same way.
"""

from html.parser import HTMLParser

CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrfmiddlewaretoken"
ADMIN_ADD_URL = "/admin/incidents/incident/add/"
ADMIN_IMPORT_URL = "/admin/incidents/incident/import/"
# An incident as the admin's add form takes it; the ref is the caller's.
ADMIN_ADD = {
    "title": "Added by the benchmark",
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
ADMIN_INLINES = ("incident_actors", "incident_aircraft", "incident_sources")


def csrf_token(cookies):
    """The CSRF secret from a cookie jar (any mapping with get()). Django takes the
    unmasked secret in the form as well as the masked one it renders, and the cookie is
    set by the GET of any page holding a form, so no page needs parsing for it."""
    token = cookies.get(CSRF_COOKIE)
    if not token:
        raise LookupError("no csrftoken cookie: GET the form's page first")
    return token


def admin_add_data(ref, token):
    """The admin add form's fields for a new incident ``ref``, its inlines left empty."""
    data = {**ADMIN_ADD, CSRF_FIELD: token, "ref": ref}
    for prefix in ADMIN_INLINES:
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data


def new_ref(prefix, number):
    """A ref no generated, seeded or imported incident holds: ``prefix``-year-serial."""
    return f"{prefix}-{2000 + number // 9999}-{number % 9999 + 1:04d}"


class _FormFields(HTMLParser):
    def __init__(self, action):
        super().__init__()
        self.action = action
        self.inside = False
        self.fields = {}
        self.errors = []
        self._in_error = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("action") or "").endswith(self.action)
        elif tag == "input" and self.inside and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "ul" and "errorlist" in (attrs.get("class") or ""):
            self._in_error = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "ul":
            self._in_error = False

    def handle_data(self, data):
        if self._in_error and data.strip():
            self.errors.append(data.strip())


def form_fields(html, action):
    """(the named inputs of the form posting to a URL ending in ``action``, the texts of
    the page's error lists): what a browser would send, or why there is no such form."""
    parser = _FormFields(action)
    parser.feed(html)
    parser.close()
    return parser.fields, parser.errors
