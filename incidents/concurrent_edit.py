"""Optimistic locking in the admin: a save based on a version someone else has changed since
is refused, says what changed, by whom and when, and offers both edits merged.

The version counter is django-concurrency's ``AutoIncVersionField`` on every model with a
form. Its conditional UPDATE (``… WHERE id = %s AND version = %s``) is the last word when
two saves race; the checks here come first, so that an editor meets a form to review, not
an error page. The merge is three-way: the row as the form was opened (its history record
at that version), the row now, and the form. A field only one side changed takes that
side's value; a field both changed keeps the form's value and names the other one.
"""

import datetime

from concurrency.exceptions import RecordModifiedError
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.text import get_text_list

VERSION = "version"


def _current(instance):
    return type(instance)._base_manager.filter(pk=instance.pk).first()


def _who(record):
    user = getattr(record, "history_user", None)
    return user.get_username() if user is not None else "an import or a command"


def _when(moment):
    return moment.astimezone(datetime.UTC).strftime("%d %b %Y %H:%M UTC")


def changes_since(instance, version):
    """[(user name, moment, [field names])] of the saves after ``version``, oldest first."""
    history = getattr(type(instance), "history", None)
    if history is None:
        return []
    records = list(
        history.filter(id=instance.pk, version__gt=version).order_by("history_date", "history_id")
    )
    changes = []
    for record in records:
        previous = record.prev_record
        if previous is None:
            names = []
        else:
            delta = record.diff_against(previous, excluded_fields=[VERSION])
            names = [
                str(type(instance)._meta.get_field(c.field).verbose_name) for c in delta.changes
            ]
        changes.append((_who(record), record.history_date, names))
    return changes


def who_changed(changes):
    """ "nadia at 02 Dec 2026 17:42 UTC, changing title; then by …" """
    parts = []
    for who, moment, names in changes:
        what = f"changing {get_text_list(names, 'and')}" if names else "without changing a field"
        parts.append(f"{who} at {_when(moment)}, {what}")
    return "; then by ".join(parts) or "someone else"


def describe(instance, changes):
    return (
        f"Not saved: this {type(instance)._meta.verbose_name} was saved by "
        f"{who_changed(changes)}, after you opened it. Their changes and yours are merged "
        "below: check them and save again to keep both."
    )


def _as_data(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


BOTH_CHANGED = (
    "Also changed by someone else, to “{value}”. Your value is kept here; saving again "
    "replaces theirs with it."
)
UNKNOWN_SIDE = (
    "This shows the saved value. You had entered “{value}”: enter it again if it should "
    "replace the saved one."
)


class VersionedRowForm(forms.ModelForm):
    """A form carrying its row's version. The version is not an edit: an inline's blank
    extra row (version empty, no initial) stays blank, so it is skipped, not validated."""

    @cached_property
    def changed_data(self):
        return [name for name in super().changed_data if name != VERSION]


class ConcurrentEditForm(VersionedRowForm):
    """A model form that refuses a save based on an older version, and merges."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if VERSION in self.fields and not self.is_bound and self.instance.pk is not None:
            # The history page's revert form starts from an old row: reverting is a change
            # to the row as it is now.
            current = _current(self.instance)
            if current is not None:
                self.initial[VERSION] = current.version

    def _post_clean(self):
        super()._post_clean()
        if VERSION not in self.fields or self.instance.pk is None or self.errors:
            return
        opened = self.cleaned_data.get(VERSION)
        current = _current(self.instance)
        if current is None or opened == current.version:
            return
        self.merge(opened, current)

    def merge(self, opened, current):
        history = getattr(type(current), "history", None)
        base = None
        if history is not None:
            base = (
                history.filter(id=current.pk, version=opened)
                .order_by("-history_date", "-history_id")
                .first()
            )
        changes = changes_since(current, opened)
        data = self.data.copy()
        conflicts, unknown = [], []
        for name in self.fields:
            if name == VERSION or name not in self.cleaned_data:
                continue
            field = type(current)._meta.get_field(name)
            mine = getattr(self.instance, field.attname)
            theirs = getattr(current, field.attname)
            if mine == theirs:
                continue
            if base is None:
                # Which of the two changed it is not known: the saved value stays in the
                # form, and the one typed is shown to be entered again if it should win.
                data[self.add_prefix(name)] = _as_data(theirs)
                unknown.append((name, mine))
                continue
            original = getattr(base, field.attname)
            if mine == original:
                data[self.add_prefix(name)] = _as_data(theirs)
            elif theirs != original:
                conflicts.append((name, theirs))
        data[self.add_prefix(VERSION)] = str(self.fields[VERSION].prepare_value(current.version))
        self.data = data
        self.add_error(None, describe(current, changes))
        notes = [(name, BOTH_CHANGED, theirs) for name, theirs in conflicts]
        notes += [(name, UNKNOWN_SIDE, mine) for name, mine in unknown]
        for name, note, value in notes:
            self.add_error(name, note.format(value=(_as_data(value) or "(empty)")[:200]))


class VersionedInlineFormSet(forms.BaseInlineFormSet):
    """Link rows (an incident's actors, aircraft, citations): a row someone else changed or
    removed since the page was opened is not overwritten."""

    def clean(self):
        super().clean()
        for form in self.initial_forms:
            if VERSION not in form.fields or not hasattr(form, "cleaned_data"):
                continue
            current = _current(form.instance)
            opened = form.cleaned_data.get(VERSION)
            if current is None:
                form.add_error(None, "This row was removed by someone else: reload the page.")
            elif opened is not None and opened != current.version and form.has_changed():
                who = who_changed(changes_since(current, opened))
                form.add_error(
                    NON_FIELD_ERRORS,
                    f"Not saved: this row was saved by {who}, after you opened the page. "
                    "Reload it to see their change.",
                )


class ConcurrencyAdminMixin:
    """The admin's side: the version travels with every form, inline rows included, and a
    save that loses the race at the database is refused with a message, not a 500."""

    form = ConcurrentEditForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if VERSION in flatten_fieldsets(fieldsets):
            return fieldsets
        first, options = fieldsets[0]
        return [(first, {**options, "fields": [*options["fields"], VERSION]}), *fieldsets[1:]]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RecordModifiedError:
            messages.error(
                request,
                "Not saved: someone else saved this record at the same moment. Nothing of "
                "your save was kept; the page shows the record as it is now.",
            )
            return HttpResponseRedirect(request.path)
