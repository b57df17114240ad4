"""The vocabulary of the incident database.

Who did what to whom (``IncidentActor``), with which aircraft (``IncidentAircraft``),
where (``Location``), when (``date_start``..``date_end`` at a ``date_precision``) and
according to whom (``IncidentSource``). Every choice list is enforced by the database
through a named check constraint, so a bad row cannot be stored by any path.
"""

import math

from concurrency.fields import AutoIncVersionField
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .choices import (  # noqa: F401  (the models' vocabulary, imported from here too)
    AcledActorType,
    ActorKind,
    ActorRole,
    AircraftMission,
    AircraftRole,
    Credibility,
    DatePrecision,
    Domain,
    IncidentType,
    LocationKind,
    LocationPrecision,
    Professionalism,
    Reliability,
    RiskTier,
    Safety,
    Status,
    YesNoUnknown,
)
from .dates import format_date_range
from .querysets import (
    EARTH_RADIUS_KM,
    ActorQuerySet,
    IncidentActorManager,
    IncidentAircraftManager,
    IncidentQuerySet,
    IncidentSourceManager,
    LocationQuerySet,
    NaturalKeyManager,
)
from .validators import no_markup

COUNTRY_RE = r"^[A-Z]{2}$"
REF_RE = r"^[A-Z]{3}-[0-9]{4}-[0-9]{4}$"
SHA256_RE = r"^[0-9a-f]{64}$"
ICAO_RE = r"^[A-Z0-9]{2,4}$"

country_validator = RegexValidator(
    COUNTRY_RE, "Use the two-letter ISO 3166-1 code in capitals, e.g. SY, RU, US."
)
ref_validator = RegexValidator(
    REF_RE, "A reference looks like SYR-2023-0004: three capitals, the year, four digits."
)
sha256_validator = RegexValidator(SHA256_RE, "A SHA-256 is 64 lower-case hexadecimal digits.")
icao_validator = RegexValidator(
    ICAO_RE, "An ICAO type designator is 2 to 4 capital letters or digits, e.g. Q9 or SU35."
)


def in_choices(field, choices, *, blank=False, null=False):
    condition = Q(**{f"{field}__in": choices.values})
    if blank:
        condition |= Q(**{field: ""})
    if null:
        condition |= Q(**{f"{field}__isnull": True})
    return condition


def regex_or_blank(field, pattern):
    return Q(**{field: ""}) | Q(**{f"{field}__regex": pattern})


# --- Reference tables ------------------------------------------------------------------


class Actor(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[no_markup])
    short_name = models.CharField(
        max_length=60, blank=True, validators=[no_markup], help_text="e.g. SAA, SDF, HTS."
    )
    aliases = models.TextField(
        blank=True,
        validators=[no_markup],
        help_text="Other names and spellings, one per line (Arabic included).",
    )
    kind = models.CharField(max_length=32, choices=ActorKind.choices)
    country = models.CharField(
        "ISO country",
        max_length=2,
        blank=True,
        validators=[country_validator],
        help_text="Two-letter ISO 3166-1 code of the state the actor belongs to, if any.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The body this actor belongs to (Quds Force → IRGC → Iran).",
    )
    acled_actor_type = models.PositiveSmallIntegerField(
        "ACLED actor type",
        null=True,
        blank=True,
        choices=AcledActorType.choices,
        help_text="ACLED inter code 1–8 where it applies.",
    )
    notes = models.TextField(blank=True)

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = ActorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("import_actor", "Can import actors"), ("export_actor", "Can export actors")]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("kind", ActorKind), name="actor_kind_valid"
            ),
            models.CheckConstraint(
                condition=regex_or_blank("country", COUNTRY_RE), name="actor_country_iso2"
            ),
            models.CheckConstraint(
                condition=in_choices("acled_actor_type", AcledActorType, null=True),
                name="actor_acled_type_1_to_8",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="actor_not_own_parent",
                violation_error_message="An actor cannot be its own parent.",
            ),
        ]
        indexes = [models.Index(fields=["country"], name="actor_country_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incidents:actor_detail", args=[self.pk])

    def natural_key(self):
        return (self.name,)


class Location(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[no_markup])
    alternative_names = models.TextField(
        blank=True,
        validators=[no_markup],
        help_text="Transliterations and the Arabic name, one per line.",
    )
    kind = models.CharField(max_length=32, choices=LocationKind.choices)
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="WGS 84 decimal degrees, −90 to 90.",
    )
    longitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text="WGS 84 decimal degrees, −180 to 180.",
    )
    admin1 = models.CharField("governorate (admin1)", max_length=100, blank=True)
    country = models.CharField(
        "ISO country", max_length=2, blank=True, validators=[country_validator]
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The larger place this one lies in.",
    )
    radius_km = models.FloatField(
        "radius (km)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.001)],
        help_text="For zones around a point, e.g. al-Tanf's 55 km deconfliction zone.",
    )

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("import_location", "Can import locations"),
            ("export_location", "Can export locations"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("kind", LocationKind), name="location_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="location_coordinates_paired",
                violation_error_message="Give both latitude and longitude, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(radius_km__isnull=True) | Q(radius_km__gt=0),
                name="location_radius_positive",
            ),
            models.CheckConstraint(
                condition=regex_or_blank("country", COUNTRY_RE), name="location_country_iso2"
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="location_not_own_parent",
                violation_error_message="A place cannot lie inside itself.",
            ),
        ]
        indexes = [
            # near(): a bounding box on latitude then longitude before the exact distance.
            models.Index(fields=["latitude", "longitude"], name="location_coords_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incidents:location_detail", args=[self.pk])

    def natural_key(self):
        return (self.name,)

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None

    def distance_km(self, other):
        """Great-circle distance to another location, or None without coordinates."""
        if not (self.has_coordinates and other.has_coordinates):
            return None
        return haversine_km(self.latitude, self.longitude, other.latitude, other.longitude)


def haversine_km(lat1, lon1, lat2, lon2):
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Aircraft(models.Model):
    designation = models.CharField(
        max_length=100,
        unique=True,
        validators=[no_markup],
        help_text='As analysts name it: "MQ-9 Reaper", "Su-35".',
    )
    nato_name = models.CharField(
        "NATO reporting name", max_length=60, blank=True, validators=[no_markup]
    )
    role = models.CharField(max_length=16, choices=AircraftRole.choices)
    crewed = models.BooleanField(help_text="Unticked for drones.")
    icao_designator = models.CharField(
        "ICAO type designator",
        max_length=4,
        blank=True,
        validators=[icao_validator],
        help_text="ICAO Doc 8643 designator where one exists.",
    )

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = NaturalKeyManager("designation")

    class Meta:
        ordering = ["designation"]
        verbose_name_plural = "aircraft"
        permissions = [
            ("import_aircraft", "Can import aircraft"),
            ("export_aircraft", "Can export aircraft"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("role", AircraftRole), name="aircraft_role_valid"
            ),
            models.CheckConstraint(
                condition=regex_or_blank("icao_designator", ICAO_RE), name="aircraft_icao_format"
            ),
        ]

    def __str__(self):
        return self.designation

    def get_absolute_url(self):
        return reverse("incidents:aircraft_detail", args=[self.pk])

    def natural_key(self):
        return (self.designation,)


class Source(models.Model):
    title = models.CharField(max_length=300, unique=True, validators=[no_markup])
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    published_on = models.DateField(
        null=True, blank=True, help_text="First day of the period when only month or year known."
    )
    published_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    reliability = models.CharField(
        "reliability (Admiralty)",
        max_length=1,
        choices=Reliability.choices,
        default=Reliability.F,
    )
    seed_file = models.CharField(
        max_length=200, blank=True, help_text="File name under shared/seeds/, for seed documents."
    )
    sha256 = models.CharField(
        "SHA-256 of the text",
        max_length=64,
        blank=True,
        validators=[sha256_validator],
        help_text="Proves which capture of the document was read.",
    )
    notes = models.TextField(blank=True, help_text="Why this grade; what the document is.")

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = NaturalKeyManager("title")

    class Meta:
        ordering = ["title"]
        permissions = [
            ("import_source", "Can import sources"),
            ("export_source", "Can export sources"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("reliability", Reliability), name="source_reliability_a_to_f"
            ),
            models.CheckConstraint(
                condition=in_choices("published_precision", DatePrecision, blank=True),
                name="source_published_precision_valid",
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=False) | Q(published_precision=""),
                name="source_precision_needs_date",
                violation_error_message="A publication precision needs a publication date.",
            ),
            models.CheckConstraint(
                condition=regex_or_blank("sha256", SHA256_RE), name="source_sha256_format"
            ),
            models.UniqueConstraint(
                fields=["seed_file"],
                condition=~Q(seed_file=""),
                name="source_seed_file_unique",
                violation_error_message="Another source already records this seed file.",
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.title,)

    @property
    def published_display(self):
        if self.published_on is None:
            return "undated"
        precision = self.published_precision or DatePrecision.DAY
        return format_date_range(self.published_on, self.published_on, precision)


# --- Incidents -------------------------------------------------------------------------


class Incident(models.Model):
    ref = models.CharField(
        "reference",
        max_length=20,
        unique=True,
        validators=[ref_validator],
        help_text="Stable human reference, e.g. SYR-2023-0004. Never reused.",
    )
    title = models.CharField(max_length=300, validators=[no_markup])
    summary = models.TextField(blank=True)
    incident_type = models.CharField(max_length=32, choices=IncidentType.choices)
    domain = models.CharField(max_length=8, choices=Domain.choices)
    date_start = models.DateField(help_text="First day the incident may have happened.")
    date_end = models.DateField(
        help_text="Last day it may have happened (inclusive); equal to the start for one day."
    )
    date_precision = models.CharField(
        max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    location_precision = models.CharField(
        max_length=12, choices=LocationPrecision.choices, default=LocationPrecision.EXACT
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED)
    risk_tier = models.CharField(
        max_length=16, choices=RiskTier.choices, default=RiskTier.NOT_ASSESSED
    )
    us_safety = models.CharField(
        "US characterisation: safety",
        max_length=8,
        choices=Safety.choices,
        default=Safety.UNKNOWN,
    )
    us_professionalism = models.CharField(
        "US characterisation: professionalism",
        max_length=16,
        choices=Professionalism.choices,
        default=Professionalism.UNKNOWN,
    )
    deconfliction_channel_used = models.CharField(
        max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN
    )
    fatalities_low = models.PositiveIntegerField(null=True, blank=True)
    fatalities_best = models.PositiveIntegerField(null=True, blank=True)
    fatalities_high = models.PositiveIntegerField(null=True, blank=True)
    actors = models.ManyToManyField(Actor, through="IncidentActor", related_name="incidents")
    aircraft = models.ManyToManyField(
        Aircraft, through="IncidentAircraft", related_name="incidents"
    )
    sources = models.ManyToManyField(Source, through="IncidentSource", related_name="incidents")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-date_start", "-ref"]
        permissions = [
            ("import_incident", "Can import incidents"),
            ("export_incident", "Can export incidents"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_end__gte=F("date_start")),
                name="incident_dates_ordered",
                violation_error_message="The end date is before the start date.",
            ),
            models.CheckConstraint(condition=Q(ref__regex=REF_RE), name="incident_ref_format"),
            models.CheckConstraint(
                condition=in_choices("incident_type", IncidentType), name="incident_type_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("domain", Domain), name="incident_domain_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("date_precision", DatePrecision),
                name="incident_date_precision_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("location_precision", LocationPrecision),
                name="incident_location_precision_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("status", Status), name="incident_status_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("risk_tier", RiskTier), name="incident_risk_tier_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("us_safety", Safety), name="incident_us_safety_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("us_professionalism", Professionalism),
                name="incident_us_professionalism_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("deconfliction_channel_used", YesNoUnknown),
                name="incident_channel_used_valid",
            ),
            models.CheckConstraint(
                condition=Q(fatalities_low__isnull=True)
                | Q(fatalities_best__isnull=True)
                | Q(fatalities_low__lte=F("fatalities_best")),
                name="incident_fatalities_low_le_best",
                violation_error_message="The low fatality estimate is above the best estimate.",
            ),
            models.CheckConstraint(
                condition=Q(fatalities_best__isnull=True)
                | Q(fatalities_high__isnull=True)
                | Q(fatalities_best__lte=F("fatalities_high")),
                name="incident_fatalities_best_le_high",
                violation_error_message="The best fatality estimate is above the high estimate.",
            ),
            models.CheckConstraint(
                condition=Q(fatalities_low__isnull=True)
                | Q(fatalities_high__isnull=True)
                | Q(fatalities_low__lte=F("fatalities_high")),
                name="incident_fatalities_low_le_high",
                violation_error_message="The low fatality estimate is above the high estimate.",
            ),
        ]
        indexes = [
            # The default order and the date-overlap filter both start from date_start.
            models.Index(fields=["-date_start", "-ref"], name="incident_date_start_idx"),
            models.Index(fields=["date_end"], name="incident_date_end_idx"),
            models.Index(fields=["incident_type", "-date_start"], name="incident_type_date_idx"),
            models.Index(fields=["status"], name="incident_status_idx"),
            models.Index(fields=["risk_tier"], name="incident_risk_tier_idx"),
        ]

    def __str__(self):
        return f"{self.ref} {self.title}"

    def save(self, *args, **kwargs):
        # Every save is an edit at this moment (the export's updated_at column says when a
        # row last changed); fixtures and the bulk loader write their own stamps.
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("incidents:detail", args=[self.ref])

    def natural_key(self):
        return (self.ref,)

    def interval_problems(self):
        """The cross-field rules of the check constraints, in Python, with their messages.

        Imports use this instead of ``validate_constraints()``, which runs one query per
        constraint per row; the database still enforces every constraint on save.
        """
        message = {c.name: c.violation_error_message for c in self._meta.constraints}
        if self.date_start and self.date_end and self.date_end < self.date_start:
            yield message["incident_dates_ordered"]
        low, best, high = self.fatalities_low, self.fatalities_best, self.fatalities_high
        for a, b, name in (
            (low, best, "incident_fatalities_low_le_best"),
            (best, high, "incident_fatalities_best_le_high"),
            (low, high, "incident_fatalities_low_le_high"),
        ):
            if a is not None and b is not None and a > b:
                yield message[name]

    @property
    def date_display(self):
        """The date as an analyst writes it at its precision: "June 2016", "Mar–Jul 2023"."""
        return format_date_range(self.date_start, self.date_end, self.date_precision)


class IncidentActor(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="incident_actors")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="incident_roles")
    role = models.CharField(max_length=12, choices=ActorRole.choices)

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = IncidentActorManager()

    class Meta:
        verbose_name = "actor in incident"
        verbose_name_plural = "actors in incident"
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "actor", "role"],
                name="incident_actor_role_unique",
                violation_error_message="This actor already has this role in the incident.",
            ),
            models.CheckConstraint(
                condition=in_choices("role", ActorRole), name="incident_actor_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["actor", "role"], name="incident_actor_actor_role_idx")]

    def __str__(self):
        return f"{self.actor} ({self.get_role_display().lower()}) in {self.incident.ref}"

    def natural_key(self):
        return (self.incident.ref, self.actor.name, self.role)

    natural_key.dependencies = ["incidents.incident", "incidents.actor"]


class IncidentAircraft(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="incident_aircraft"
    )
    aircraft = models.ForeignKey(Aircraft, on_delete=models.PROTECT, related_name="incident_roles")
    operator = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operated_aircraft",
        help_text="The force flying it, where known.",
    )
    count = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty when unknown."
    )
    role = models.CharField(max_length=12, choices=AircraftMission.choices)
    closest_approach_m = models.PositiveIntegerField(
        "closest approach (m)", null=True, blank=True, help_text="Where reported."
    )

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = IncidentAircraftManager()

    class Meta:
        verbose_name = "aircraft in incident"
        verbose_name_plural = "aircraft in incident"
        permissions = [
            ("import_incidentaircraft", "Can import aircraft in incidents"),
            ("export_incidentaircraft", "Can export aircraft in incidents"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "aircraft", "role"],
                name="incident_aircraft_role_unique",
                violation_error_message="This aircraft type already has this role in the incident.",
            ),
            models.CheckConstraint(
                condition=in_choices("role", AircraftMission), name="incident_aircraft_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(count__isnull=True) | Q(count__gte=1),
                name="incident_aircraft_count_positive",
            ),
        ]

    def __str__(self):
        return f"{self.aircraft} ({self.get_role_display().lower()}) in {self.incident.ref}"

    def natural_key(self):
        return (self.incident.ref, self.aircraft.designation, self.role)

    natural_key.dependencies = ["incidents.incident", "incidents.aircraft", "incidents.actor"]


class IncidentSource(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="incident_sources"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    excerpt = models.TextField(
        help_text="The sentence of the source that supports the incident, quoted exactly."
    )
    credibility = models.PositiveSmallIntegerField(
        "credibility (Admiralty)",
        choices=Credibility.choices,
        default=Credibility.CANNOT_BE_JUDGED,
    )

    version = AutoIncVersionField(help_text="Edit counter: saving an older version is refused.")
    history = HistoricalRecords()
    objects = IncidentSourceManager()

    class Meta:
        verbose_name = "source of incident"
        verbose_name_plural = "sources of incident"
        permissions = [
            ("import_incidentsource", "Can import citations"),
            ("export_incidentsource", "Can export citations"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source"],
                name="incident_source_unique",
                violation_error_message=(
                    "This source is already cited for the incident; put both sentences "
                    "in one excerpt, joined by “ […] ”."
                ),
            ),
            models.CheckConstraint(
                condition=in_choices("credibility", Credibility),
                name="incident_source_credibility_1_to_6",
            ),
            models.CheckConstraint(
                condition=~Q(excerpt=""), name="incident_source_excerpt_required"
            ),
        ]

    def __str__(self):
        return f"{self.source} for {self.incident.ref}"

    def natural_key(self):
        return (self.incident.ref, self.source.title)

    natural_key.dependencies = ["incidents.incident", "incidents.source"]

    @property
    def grade(self):
        """The Admiralty grade as an analyst says it: "B2"."""
        return f"{self.source.reliability}{self.credibility}"


class SeedRow(models.Model):
    """A row of the seed fixtures as it was last brought into this database.

    ``make run`` loads a seed row only when it has no entry here, so a row an analyst has
    edited or deleted is never loaded again; ``update_seeds`` compares the fixtures with
    ``fields`` (what was loaded) and with the row now, to tell an analyst's edit from a
    newer fixture."""

    model = models.CharField(max_length=100, help_text="app_label.model_name")
    key = models.CharField(max_length=500, help_text="The row's natural key, as JSON.")
    fields = models.JSONField(help_text="The fixture's fields as last loaded.")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="seed_row_unique"),
        ]

    def __str__(self):
        return f"{self.model} {self.key}"
