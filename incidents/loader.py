"""Stream an incident file into the database, checked as the admin checks it, written in bulk.

django-import-export runs its pipeline once per row: a savepoint, ``save()``, a history row
and a query per actor link (the bench measures it beside this loader). This loader
reads the file as it goes, checks every row with the same ``IncidentResource`` (its
widgets, ``import_instance``, ``validate_instance``: the same messages as the admin), and
writes a chunk of rows at a time with ``executemany`` (``incidents.bulk``), history rows
included. The whole file is one transaction:
it all lands, or, when any row is wrong, none of it does and every problem is reported.

Memory stays flat as the file grows: one chunk of rows is held at a time, plus the refs
seen so far (to refuse a ref given twice) and the names already looked up.
"""

from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .bulk import Inserter
from .models import Incident, IncidentActor
from .resources import ImportRefused, IncidentResource

CHUNK = 2000
# Everything an import can change; ids, creation and edit stamps are the database's.
STAMPS = {"id", "created_at", "updated_at", "created_by", "updated_by", "version"}
TRACKED = [f.attname for f in Incident._meta.concrete_fields if f.name not in STAMPS]


@dataclass
class Outcome:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: (line, column, reason), lines numbered as in the file
    problems: list = field(default_factory=list)


class Rollback(Exception):
    """Leave the transaction without writing anything (a refused file or a dry run)."""


class IncidentLoader:
    def __init__(
        self,
        user=None,
        change_reason="",
        chunk_size=CHUNK,
        progress=None,
        resource=None,
        report=None,
    ):
        self.resource = resource or IncidentResource()
        #: called per row as report(line, import type, instance, row, ValidationError or
        #: None), in the file's order within a chunk (the admin builds its Result with it)
        self.report = report
        self.user = user if getattr(user, "pk", None) else None
        self.change_reason = change_reason
        self.chunk_size = chunk_size
        self.progress = progress
        self.lookup_cache = {}
        self.incidents = Inserter(Incident)
        self.links = Inserter(IncidentActor)

    def load(self, headers, records, dry_run=False):
        """Import (line number, cells) records under these headers; returns an Outcome."""
        outcome = Outcome()
        headers = self.resource.normal_headers(headers)
        refused = self.resource.check_headers(headers)
        if refused:
            outcome.problems = [(None, None, problem) for problem in refused]
            return outcome
        seen = {}
        try:
            with transaction.atomic():
                records = iter(records)
                while chunk := list(islice(records, self.chunk_size)):
                    self.load_chunk(headers, chunk, seen, outcome)
                    if self.progress is not None:
                        self.progress(len(chunk))
                if not outcome.rows:
                    outcome.problems.append(
                        (None, None, "The file has a header row but no rows to import.")
                    )
                if outcome.problems or dry_run:
                    raise Rollback
        except Rollback:
            pass
        return outcome

    def load_chunk(self, headers, chunk, seen, outcome):
        rows = []
        for number, cells in chunk:
            outcome.rows += 1
            for problem in self.resource.check_cells(number, headers, cells):
                outcome.problems.append((number, None, problem))
            row = dict(zip(headers, cells, strict=True))
            ref = str(row["ref"]).strip()
            if ref in seen:
                outcome.problems.append(
                    (
                        number,
                        "ref",
                        f"ref “{ref[:40]}” appears on lines {seen[ref]}, {number}; "
                        "each record may appear once.",
                    )
                )
                continue
            seen[ref] = number
            rows.append((number, ref, row))
        existing = Incident.objects.in_bulk([ref for _, ref, _ in rows], field_name="ref")
        links = self.current_links(incident.pk for incident in existing.values())

        new, changed, done = [], [], []
        for number, ref, row in rows:
            instance = existing.get(ref) or Incident()
            before = self.tracked(instance)
            errors = {}
            try:
                self.resource.import_instance(instance, row, lookup_cache=self.lookup_cache)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
            try:
                self.resource.validate_instance(instance, errors)
            except ValidationError as error:
                outcome.problems.extend(self.resource.describe_row(number, error.error_dict))
                if self.report is not None:
                    self.report(number, "invalid", instance, row, error)
                continue
            if outcome.problems:
                continue  # the file is refused: check the rest, write nothing
            mine = links.get(instance.pk, {})
            roles_same = all(
                {actor.pk for actor in actors} == set(mine.get(role, {}))
                for role, actors in instance._imported_roles.items()
            )
            if instance.pk is not None and roles_same and before == self.tracked(instance):
                outcome.unchanged += 1
                done.append((number, "skip", instance, row))
                continue
            self.resource.before_save_instance(
                instance, row, user=self.user, change_reason=self.change_reason
            )
            (changed if instance.pk else new).append(instance)
            done.append((number, "update" if instance.pk else "new", instance, row))
        if outcome.problems:
            return
        self.write(new, changed, links)
        outcome.new += len(new)
        outcome.updated += len(changed)
        if self.report is not None:
            for number, import_type, instance, row in done:
                self.report(number, import_type, instance, row, None)

    @staticmethod
    def tracked(instance):
        return [getattr(instance, name) for name in TRACKED]

    @staticmethod
    def current_links(incident_ids):
        """{incident id: {role: {actor id: link}}} for these incidents, in one query."""
        links = {}
        for link in IncidentActor.objects.filter(incident_id__in=list(incident_ids)):
            links.setdefault(link.incident_id, {}).setdefault(link.role, {})[link.actor_id] = link
        return links

    def write(self, new, changed, links):
        stamp = (self.user, self.change_reason, timezone.now())
        self.incidents.insert(new)
        self.incidents.record(new, "+", *stamp)
        if self.incidents.update(changed, [*TRACKED, "updated_at", "updated_by"]):
            raise ImportRefused(
                "Incidents in this file were changed by someone else while it was imported. "
                "Nothing was imported: import it again to apply it to their new versions."
            )
        self.incidents.record(changed, "~", *stamp)
        added = []
        for instance in new + changed:
            mine = links.get(instance.pk, {})
            for role, actors in instance._imported_roles.items():
                wanted = {actor.pk for actor in actors}
                for actor_id, link in mine.get(role, {}).items():
                    if actor_id not in wanted:
                        # Rare (an import that changes who took part): one delete each, so
                        # the history records the removal as an edit in the admin would.
                        link._history_user = self.user
                        link._change_reason = self.change_reason
                        link.delete()
                added.extend(
                    IncidentActor(incident_id=instance.pk, actor_id=actor.pk, role=role)
                    for actor in actors
                    if actor.pk not in mine.get(role, {})
                )
        self.links.insert(added)
        self.links.record(added, "+", *stamp)
