"""Helpers shared by test modules (tests never import each other)."""

from html.parser import HTMLParser

from concurrency.forms import get_signer


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
