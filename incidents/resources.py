"""One definition of the columns per model, shared by the admin, the commands and exports.

Related rows are named by natural key (actor names, a location's name, an aircraft's
designation, a source's title). Several values in one cell are separated by "; ". Dates
are ISO 8601. An import is refused whole, with every reason, when any row is wrong: it is
one transaction, so it all lands or nothing does.
"""

from collections import Counter, defaultdict

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from import_export import fields, resources
from import_export.results import Error

from .models import (
    Actor,
    ActorKind,
    ActorRole,
    Aircraft,
    AircraftMission,
    AircraftRole,
    Credibility,
    DatePrecision,
    Domain,
    Incident,
    IncidentAircraft,
    IncidentSource,
    IncidentType,
    Location,
    LocationKind,
    LocationPrecision,
    Professionalism,
    Reliability,
    RiskTier,
    Safety,
    Source,
    Status,
    YesNoUnknown,
)
from .widgets import (
    ChoiceWidget,
    NaturalKeyWidget,
    StrictDateWidget,
    StrictFloatWidget,
    StrictIntegerWidget,
    TextWidget,
    YesNoWidget,
    defuse,
    split_cell,
)

SCHEMA_VERSION = "1"


class ImportRefused(Exception):
    """The file as a whole cannot be imported (its columns, its keys, its size)."""


def column(name, widget, attribute=None, readonly=False, default=fields.NOT_PROVIDED):
    return fields.Field(
        attribute=attribute if attribute is not None else (None if readonly else name),
        column_name=name,
        widget=widget,
        readonly=readonly,
        default=default,
    )


def text(name, required=False, **kwargs):
    return column(name, TextWidget(required=required), **kwargs)


def choice(name, choices, required=False, default=fields.NOT_PROVIDED):
    return column(name, ChoiceWidget(choices, required=required), default=default)


class StrictMeta:
    """Options every resource shares: unchanged rows are skipped (so export → import is a
    no-op), model validation runs, and no HTML diff is built per row."""

    skip_unchanged = True
    report_skipped = True
    clean_model_instances = True
    skip_html_diff = True


class StrictResource(resources.ModelResource):
    """Checks a whole file before any row, and keeps the import all-or-nothing."""

    #: columns a file must have
    required_columns = ()
    #: columns an export writes that an import reads past (derived values)
    derived_columns = ()

    def get_export_order(self):
        return tuple(self._meta.fields)

    def get_import_order(self):
        return tuple(self._meta.fields)

    def get_import_fields(self):
        """The columns an import writes, once per resource rather than once per row (the
        derived, read-only columns are left out here instead of being skipped per cell)."""
        if getattr(self, "_import_fields", None) is None:
            self._import_fields = [f for f in super().get_import_fields() if f.attribute]
        return self._import_fields

    # --- whole-file checks -------------------------------------------------------------

    def known_columns(self):
        return [field.column_name for field in self.fields.values()]

    @staticmethod
    def normal_headers(headers):
        return [str(h).replace("\ufeff", "").strip() if h is not None else "" for h in headers]

    def check_headers(self, headers):
        """Why the columns cannot be imported: unknown, repeated or missing ones."""
        problems = []
        known = self.known_columns()
        unknown = [h for h in headers if h not in known]
        if unknown:
            problems.append(
                "Unknown column(s): "
                + ", ".join(f"“{h[:60]}”" for h in unknown)
                + ". Known columns: "
                + ", ".join(known)
                + "."
            )
        repeated = [h for h, n in Counter(headers).items() if n > 1]
        if repeated:
            problems.append("Column(s) given twice: " + ", ".join(repeated) + ".")
        missing = [c for c in self.required_columns if c not in headers]
        if missing:
            problems.append("Missing required column(s): " + ", ".join(missing) + ".")
        return problems

    def check_cells(self, number, headers, row):
        """Cells too long to be a fact (a pasted page, or an attempt to exhaust memory)."""
        limit = settings.IMPORT_MAX_CELL_CHARS
        return [
            f"Line {number}, column “{header}”: the cell holds {len(value):,} "
            f"characters; the limit is {limit:,}."
            for header, value in zip(headers, row, strict=False)
            if isinstance(value, str) and len(value) > limit
        ]

    def check_dataset(self, dataset):
        """Every reason the file cannot be imported as a whole, in plain words."""
        headers = dataset.headers or []
        if not headers and not len(dataset):
            return ["The file is empty: it has no header row and no rows."]
        headers = dataset.headers = self.normal_headers(headers)
        problems = self.check_headers(headers)
        if not len(dataset):
            problems.append("The file has a header row but no rows to import.")
        for number, row in enumerate(dataset, start=2):
            problems.extend(self.check_cells(number, headers, row))
        if not problems:
            problems.extend(self.check_keys(dataset))
        return problems

    def check_keys(self, dataset):
        """The same record twice in one file is refused: which line should win?"""
        key_columns = [self.fields[name].column_name for name in self.get_import_id_fields()]
        if not all(c in dataset.headers for c in key_columns):
            return []
        seen = defaultdict(list)
        for number, row in enumerate(dataset, start=2):
            values = dict(zip(dataset.headers, row, strict=False))
            key = tuple(str(values[c]).strip() for c in key_columns)
            seen[key].append(number)
        return [
            f"{' + '.join(key_columns)} “{' / '.join(key)}” appears on lines "
            + ", ".join(map(str, lines))
            + "; each record may appear once."
            for key, lines in seen.items()
            if len(lines) > 1
        ]

    def new_result(self, dataset):
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        return result

    def refused(self, dataset, problems, raise_errors):
        """The result of a file refused as a whole: its reasons, and no row."""
        result = self.new_result(dataset)
        for problem in problems:
            result.append_base_error(Error(ImportRefused(problem)))
        if raise_errors:
            raise ImportRefused(" ".join(problems))
        return result

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        problems = self.check_dataset(dataset)
        if problems:
            return self.refused(dataset, problems, raise_errors)
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        kwargs["lookup_cache"] = {}
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    # --- rows --------------------------------------------------------------------------

    #: called after each row, e.g. to advance a progress bar
    progress = None

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if user is not None and getattr(user, "pk", None):
            instance._history_user = user
        if kwargs.get("change_reason"):
            instance._change_reason = kwargs["change_reason"]

    def after_import_row(self, row, row_result, **kwargs):
        if self.progress is not None:
            self.progress()

    def export_field(self, field, instance, **kwargs):
        return defuse(super().export_field(field, instance, **kwargs))

    def describe_row(self, line, error_dict):
        """(line, column, reason) for a row's validation errors, keyed by field or column."""
        columns = {name: field.column_name for name, field in self.fields.items()}
        columns.update({f.attribute: f.column_name for f in self.fields.values() if f.attribute})
        return [
            (line, None if name == NON_FIELD_ERRORS else columns.get(name, name), message)
            for name, messages in error_dict.items()
            for message in ValidationError(messages).messages
        ]

    def describe_errors(self, result):
        """(line, column, reason) for everything wrong, lines counted as in the file."""
        described = [(None, None, str(error.error)) for error in result.base_errors]
        for row in result.invalid_rows:
            described.extend(self.describe_row(row.number + 1, row.error_dict))
        for number, errors in result.row_errors():
            for error in errors:
                described.append((number + 1, None, str(error.error)))
        return described


class TreeResource(StrictResource):
    """Actors and locations: export parents before children so a file re-imports."""

    def iter_queryset(self, queryset):
        rows = list(queryset)
        by_parent = defaultdict(list)
        ids = {row.pk for row in rows}
        for row in rows:
            by_parent[row.parent_id if row.parent_id in ids else None].append(row)
        stack = list(reversed(by_parent[None]))
        while stack:
            row = stack.pop()
            yield row
            stack.extend(reversed(by_parent[row.pk]))


class ActorResource(TreeResource):
    name = text("name", required=True)
    short_name = text("short_name")
    aliases = text("aliases")
    kind = choice("kind", ActorKind, required=True)
    country = text("country")
    parent = column("parent", NaturalKeyWidget(Actor, "parent actor"))
    acled_actor_type = column("acled_actor_type", StrictIntegerWidget())
    notes = text("notes")

    required_columns = ("name", "kind")

    class Meta(StrictMeta):
        model = Actor
        import_id_fields = ["name"]
        fields = (
            "name",
            "short_name",
            "aliases",
            "kind",
            "country",
            "parent",
            "acled_actor_type",
            "notes",
        )


class LocationResource(TreeResource):
    name = text("name", required=True)
    alternative_names = text("alternative_names")
    kind = choice("kind", LocationKind, required=True)
    latitude = column("latitude", StrictFloatWidget())
    longitude = column("longitude", StrictFloatWidget())
    admin1 = text("admin1")
    country = text("country")
    parent = column("parent", NaturalKeyWidget(Location))
    radius_km = column("radius_km", StrictFloatWidget())

    required_columns = ("name", "kind")

    class Meta(StrictMeta):
        model = Location
        import_id_fields = ["name"]
        fields = (
            "name",
            "alternative_names",
            "kind",
            "latitude",
            "longitude",
            "admin1",
            "country",
            "parent",
            "radius_km",
        )


class AircraftResource(StrictResource):
    designation = text("designation", required=True)
    nato_name = text("nato_name")
    role = choice("role", AircraftRole, required=True)
    crewed = column("crewed", YesNoWidget())
    icao_designator = text("icao_designator")

    required_columns = ("designation", "role", "crewed")

    class Meta(StrictMeta):
        model = Aircraft
        import_id_fields = ["designation"]
        fields = (
            "designation",
            "nato_name",
            "role",
            "crewed",
            "icao_designator",
        )


class SourceResource(StrictResource):
    title = text("title", required=True)
    publisher = text("publisher")
    author = text("author")
    url = text("url")
    published_on = column("published_on", StrictDateWidget())
    published_precision = choice("published_precision", DatePrecision, default="")
    reliability = choice("reliability", Reliability, required=True)
    seed_file = text("seed_file")
    sha256 = text("sha256")
    notes = text("notes")

    required_columns = ("title", "reliability")

    class Meta(StrictMeta):
        model = Source
        import_id_fields = ["title"]
        fields = (
            "title",
            "publisher",
            "author",
            "url",
            "published_on",
            "published_precision",
            "reliability",
            "seed_file",
            "sha256",
            "notes",
        )


ROLE_COLUMNS = {
    "initiators": ActorRole.INITIATOR,
    "targets": ActorRole.TARGET,
    "participants": ActorRole.PARTICIPANT,
    "supporting": ActorRole.SUPPORTING,
    "mediators": ActorRole.MEDIATOR,
}


RELATIONS = ("location", "created_by", "updated_by")


class IncidentResource(StrictResource):
    """The incident row. The first 24 columns are the export contract, in this order."""

    ref = text("ref", required=True)
    title = text("title", required=True)
    incident_type = choice("incident_type", IncidentType, required=True)
    domain = choice("domain", Domain, required=True)
    date_start = column("date_start", StrictDateWidget())
    date_end = column("date_end", StrictDateWidget())
    date_precision = choice("date_precision", DatePrecision, default=DatePrecision.DAY)
    status = choice("status", Status, default=Status.REPORTED)
    risk_tier = choice("risk_tier", RiskTier, default=RiskTier.NOT_ASSESSED)
    location = column("location", NaturalKeyWidget(Location))
    latitude = column("latitude", StrictFloatWidget(), readonly=True)
    longitude = column("longitude", StrictFloatWidget(), readonly=True)
    admin1 = column("admin1", TextWidget(), readonly=True)
    country = column("country", TextWidget(), readonly=True)
    initiators = column("initiators", TextWidget(), readonly=True)
    targets = column("targets", TextWidget(), readonly=True)
    other_actors = column("other_actors", TextWidget(), readonly=True)
    aircraft = column("aircraft", TextWidget(), readonly=True)
    deconfliction_channel_used = choice(
        "deconfliction_channel_used", YesNoUnknown, default=YesNoUnknown.UNKNOWN
    )
    fatalities_best = column("fatalities_best", StrictIntegerWidget())
    summary = text("summary")
    sources = column("sources", TextWidget(), readonly=True)
    url = column("url", TextWidget(), readonly=True)
    updated_at = column("updated_at", TextWidget(), readonly=True)
    # beyond the contract: what a round trip needs
    location_precision = choice(
        "location_precision", LocationPrecision, default=LocationPrecision.EXACT
    )
    us_safety = choice("us_safety", Safety, default=Safety.UNKNOWN)
    us_professionalism = choice("us_professionalism", Professionalism, default="unknown")
    fatalities_low = column("fatalities_low", StrictIntegerWidget())
    fatalities_high = column("fatalities_high", StrictIntegerWidget())
    participants = column("participants", TextWidget(), readonly=True)
    supporting = column("supporting", TextWidget(), readonly=True)
    mediators = column("mediators", TextWidget(), readonly=True)

    required_columns = ("ref", "title", "incident_type", "domain", "date_start")

    class Meta(StrictMeta):
        model = Incident
        import_id_fields = ["ref"]
        fields = (
            "ref",
            "title",
            "incident_type",
            "domain",
            "date_start",
            "date_end",
            "date_precision",
            "status",
            "risk_tier",
            "location",
            "latitude",
            "longitude",
            "admin1",
            "country",
            "initiators",
            "targets",
            "other_actors",
            "aircraft",
            "deconfliction_channel_used",
            "fatalities_best",
            "summary",
            "sources",
            "url",
            "updated_at",
            "location_precision",
            "us_safety",
            "us_professionalism",
            "fatalities_low",
            "fatalities_high",
            "participants",
            "supporting",
            "mediators",
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.actor_cache = {}

    # The derived columns (coordinates, actors by role, url, updated_at…) are read-only
    # here: incident_file.IncidentFileResource exports them from the streamed rows.

    def get_queryset(self):
        return Incident.objects.for_list()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # The row's ref found the instance; refs repeated in the file were refused. The
            # related rows were read from the database by name: no query to check they exist.
            instance.full_clean(
                exclude=[*errors, *RELATIONS], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        problems = list(instance.interval_problems())
        if problems:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(problems)
        if errors:
            raise ValidationError(errors)

    # --- import ------------------------------------------------------------------------

    def actor_named(self, name):
        if name not in self.actor_cache:
            self.actor_cache[name] = NaturalKeyWidget(Actor).lookup(name)
        return self.actor_cache[name]

    def read_roles(self, row):
        """{role: [actors]} for the role columns present in the row, and the errors."""
        columns = {c: r for c, r in ROLE_COLUMNS.items() if c in row}
        if "other_actors" in row and not any(
            c in row for c in ("participants", "supporting", "mediators")
        ):
            columns["other_actors"] = ActorRole.PARTICIPANT
        roles, errors = {}, {}
        for col, role in columns.items():
            actors = []
            try:
                for name in split_cell(row[col]):
                    actors.append(self.actor_named(name))
            except ValueError as error:
                errors[col] = [str(error)]
            roles.setdefault(role, []).extend(a for a in actors if a not in roles.get(role, []))
        return roles, errors

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.date_end is None and instance.date_start is not None:
            instance.date_end = instance.date_start
        instance._imported_roles, role_errors = self.read_roles(row)
        errors.update(role_errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        user = kwargs.get("user")
        user = user if getattr(user, "pk", None) else None
        instance.updated_at = timezone.now()
        instance.updated_by = user
        if instance.pk is None:
            instance.created_by = user


class IncidentAircraftResource(StrictResource):
    incident = column("incident", NaturalKeyWidget(Incident))
    aircraft = column("aircraft", NaturalKeyWidget(Aircraft))
    role = choice("role", AircraftMission, required=True)
    operator = column("operator", NaturalKeyWidget(Actor))
    count = column("count", StrictIntegerWidget())
    closest_approach_m = column("closest_approach_m", StrictIntegerWidget())

    required_columns = ("incident", "aircraft", "role")

    class Meta(StrictMeta):
        model = IncidentAircraft
        import_id_fields = ["incident", "aircraft", "role"]
        fields = (
            "incident",
            "aircraft",
            "role",
            "operator",
            "count",
            "closest_approach_m",
        )

    def get_queryset(self):
        return IncidentAircraft.objects.select_related("incident", "aircraft", "operator")


class IncidentSourceResource(StrictResource):
    incident = column("incident", NaturalKeyWidget(Incident))
    source = column("source", NaturalKeyWidget(Source))
    excerpt = text("excerpt", required=True)
    credibility = column("credibility", ChoiceWidget(Credibility, required=True))

    required_columns = ("incident", "source", "excerpt", "credibility")

    class Meta(StrictMeta):
        model = IncidentSource
        import_id_fields = ["incident", "source"]
        fields = (
            "incident",
            "source",
            "excerpt",
            "credibility",
        )

    def get_queryset(self):
        return IncidentSource.objects.select_related("incident", "source")


#: Import order for a whole database (incidents: incident_file.RESOURCES has the class
#: that reads and writes them whole).
REFERENCE_RESOURCES = {
    "actors": ActorResource,
    "locations": LocationResource,
    "aircraft": AircraftResource,
    "sources": SourceResource,
}
LINK_RESOURCES = {
    "incident_aircraft": IncidentAircraftResource,
    "citations": IncidentSourceResource,
}
