"""The seed fixtures against a database analysts work in.

Each fixture row is compared three ways: as it was last loaded here (``SeedRow.fields``),
as the fixture has it now, and as the database has it now. ``load_missing`` (what
``make run`` does) only adds rows this database has never had. ``plan_update`` (the
``update_seeds`` command) lists, field by field, what a newer fixture would change: a
field only the fixture changed is updated; a field an analyst changed is kept unless
told otherwise; a row an analyst deleted stays deleted unless told otherwise.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.base import DeserializationError
from django.db import transaction

from .models import SeedRow

#: Stamps of the database, not facts of the fixture.
NOT_COMPARED = {"created_at", "updated_at", "created_by", "updated_by", "version"}
REASON = "Seed fixtures"  # of an update_seeds change in the history


def fixture_paths():
    return sorted((Path(settings.BASE_DIR) / "fixtures").glob("*.json"))


def comparable(fields):
    return {name: value for name, value in fields.items() if name not in NOT_COMPARED}


def as_fixture(instance):
    """The row's fields as a fixture holds them (natural keys, ISO dates)."""
    text = serializers.serialize(
        "json", [instance], use_natural_foreign_keys=True, use_natural_primary_keys=True
    )
    return comparable(json.loads(text)[0]["fields"])


@dataclass
class Entry:
    """One fixture row, built against this database."""

    label: str
    fields: dict
    built: object = None  # a DeserializedObject, or None when it cannot be built here
    problem: str = ""

    @property
    def instance(self):
        return self.built.object

    @property
    def key(self):
        return json.dumps(list(self.instance.natural_key()), ensure_ascii=False)


def read_entries(paths=None):
    """Every fixture row in load order, each built as loaddata would build it."""
    for path in paths or fixture_paths():
        for raw in json.loads(Path(path).read_text(encoding="utf-8")):
            entry = Entry(label=raw["model"], fields=comparable(raw["fields"]))
            try:
                entry.built = next(serializers.deserialize("json", json.dumps([raw])))
                entry.key  # noqa: B018  (a row it names may have been deleted here)
            except (DeserializationError, ObjectDoesNotExist) as error:
                entry.built = None
                entry.problem = str(error).splitlines()[0][:200]
            yield entry


def deleted_keys(model):
    """Natural keys of the rows of ``model`` whose deletion the history records."""
    history = getattr(model, "history", None)
    keys = set()
    if history is None:
        return keys
    for record in history.filter(history_type="-").iterator():
        try:
            keys.add(json.dumps(list(record.instance.natural_key()), ensure_ascii=False))
        except ObjectDoesNotExist:
            continue
    return keys


@dataclass
class LoadOutcome:
    loaded: int = 0
    present: int = 0
    kept_away: int = 0
    unresolved: list = field(default_factory=list)


@transaction.atomic
def load_missing(paths=None):
    """Load the seed rows this database has never had; touch nothing else."""
    outcome = LoadOutcome()
    ledger = {(row.model, row.key) for row in SeedRow.objects.all()}
    deleted = {}
    for entry in read_entries(paths):
        if entry.built is None:
            outcome.unresolved.append(f"{entry.label}: {entry.problem}")
            continue
        model = type(entry.instance)
        if (entry.label, entry.key) in ledger:
            outcome.present += 1
            continue
        if entry.label not in deleted:
            deleted[entry.label] = deleted_keys(model)
        if entry.instance.pk is not None:
            outcome.present += 1
        elif entry.key in deleted[entry.label]:
            outcome.kept_away += 1
        else:
            entry.built.save()  # recorded in the history as any fixture row is (apps.py)
            outcome.loaded += 1
        SeedRow.objects.create(model=entry.label, key=entry.key, fields=entry.fields)
    return outcome


@dataclass
class Change:
    """What a newer fixture would do to one row."""

    entry: Entry
    action: str  # "create", "update", "kept"
    updates: dict = field(default_factory=dict)  # field: (now, fixture's)
    kept: dict = field(default_factory=dict)  # field: (analyst's, fixture's)
    note: str = ""

    def describe(self):
        head = f"{self.entry.label} {self.entry.key}"
        lines = []
        if self.action == "create":
            lines.append(f"+ {head}: new seed row")
        elif self.note:
            lines.append(f"= {head}: {self.note}")
        else:
            lines.append(f"~ {head}")
        for name, (now, new) in self.updates.items():
            lines.append(f"    {name}: {short(now)} → {short(new)}")
        for name, (mine, new) in self.kept.items():
            lines.append(f"    {name}: kept {short(mine)} (edited here); fixture: {short(new)}")
        return "\n".join(lines)


def short(value):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def plan_update(paths=None, overwrite_edits=False, restore_deleted=False):
    """[Change] for every fixture row that differs from what was last loaded here."""
    changes = []
    for entry in read_entries(paths):
        if entry.built is None:
            continue
        ledger = SeedRow.objects.filter(model=entry.label, key=entry.key).first()
        loaded = ledger.fields if ledger else None
        current = entry.instance if entry.instance.pk is not None else None
        if current is None:
            model = type(entry.instance)
            gone = entry.key in deleted_keys(model) or ledger is not None
            if gone and not restore_deleted:
                if loaded != entry.fields:
                    changes.append(Change(entry, "kept", note="deleted here; kept deleted"))
                continue
            changes.append(Change(entry, "create"))
            continue
        current = type(entry.instance)._base_manager.get(pk=entry.instance.pk)
        now = as_fixture(current)
        # Never loaded here (a database older than the ledger): every difference may be an
        # analyst's edit, so each is kept unless told otherwise.
        base = loaded if loaded is not None else entry.fields
        change = Change(entry, "update")
        for name, new in entry.fields.items():
            mine = now.get(name)
            if mine == new:
                continue
            if base.get(name) == mine or overwrite_edits:
                change.updates[name] = (mine, new)
            elif base.get(name) != new:
                change.kept[name] = (mine, new)
        if change.updates or change.kept or loaded != entry.fields:
            if not change.updates:
                change.action = "kept"
            changes.append(change)
    return changes


@transaction.atomic
def apply_update(changes, user=None):
    """Write the planned changes, each with a history row; record what is now loaded."""
    for change in changes:
        entry = change.entry
        if change.action == "create":
            entry.built.save()
        elif change.updates:
            model = type(entry.instance)
            row = model._base_manager.get(pk=entry.instance.pk)
            for name in change.updates:
                model_field = model._meta.get_field(name)
                setattr(row, model_field.attname, getattr(entry.instance, model_field.attname))
            row._change_reason = REASON
            row._history_user = user
            row.save()
        SeedRow.objects.update_or_create(
            model=entry.label, key=entry.key, defaults={"fields": entry.fields}
        )
