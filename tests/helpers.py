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
            self.select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
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
