"""Questions analysts ask of the data, as chainable QuerySet methods.

Incident.objects.involving(ru_vks).overlapping(start, end).near(tanf, 55).for_list()
"""

import json
import math
import re

from django.db import connections, models
from django.db.models import Count, FloatField, Prefetch, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.2
SEARCH_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')
# Up to this many ids, a costly filter is read once per request and its ids passed on
# (2 MB of JSON at most); above it the filter stays a subquery, repeated by each query.
READ_ONCE_LIMIT = 250_000


def search_terms(text):
    """Words and "quoted phrases" of a search box, in order, each once."""
    terms = []
    for phrase, word in SEARCH_TERM.findall(text or ""):
        term = " ".join((phrase or word).split())
        if term and term not in terms:
            terms.append(term)
    return terms


def incident_count():
    """How many incidents name a reference row: each incident once, whatever roles the row
    holds in it, and only the row's own (not its sub-units' or inner places')."""
    return Count("incidents", distinct=True)


def _pk(obj):
    return getattr(obj, "pk", obj)


class NaturalKeyManager(models.Manager):
    """A manager whose natural key is one unique field."""

    def __init__(self, field):
        super().__init__()
        self.natural_key_field = field

    def get_by_natural_key(self, value):
        return self.get(**{self.natural_key_field: value})


class TreeQuerySet(models.QuerySet):
    """Rows with a ``parent``: a unit and its sub-units, a place and the places inside it."""

    def get_by_natural_key(self, name):
        return self.get(name=name)

    def descendant_ids(self, roots):
        """The ids of ``roots`` and of everything below them (cycles are harmless)."""
        ids = {_pk(root) for root in roots}
        frontier = set(ids)
        while frontier:
            children = set(
                self.model._default_manager.filter(parent_id__in=frontier).values_list(
                    "pk", flat=True
                )
            )
            frontier = children - ids
            ids |= frontier
        return ids

    def with_descendants(self, *roots):
        return self.filter(pk__in=self.descendant_ids(roots))


class ActorQuerySet(TreeQuerySet):
    pass


class LocationQuerySet(TreeQuerySet):
    pass


def distance_km_expression(
    lat, lon, lat_field="location__latitude", lon_field="location__longitude"
):
    """Haversine distance in km from a fixed point to the rows' coordinates, in SQL."""
    lat1 = Radians(Value(float(lat), output_field=FloatField()))
    lon1 = Radians(Value(float(lon), output_field=FloatField()))
    lat2 = Radians(lat_field)
    lon2 = Radians(lon_field)
    a = Power(Sin((lat2 - lat1) / 2), 2) + Cos(lat1) * Cos(lat2) * Power(Sin((lon2 - lon1) / 2), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Sqrt(a), Value(1.0)))


class IncidentQuerySet(models.QuerySet):
    def get_by_natural_key(self, ref):
        return self.get(ref=ref)

    def involving(self, *actors, roles=None, include_subunits=True):
        """Incidents in which any of ``actors`` (with their sub-units) took part.

        ``roles`` narrows to the given roles (initiator, target, ...). Written as
        ``pk IN (subquery)`` so that chaining never multiplies rows.
        """
        IncidentActor = self._related("incident_actors")  # noqa: N806
        Actor = IncidentActor._meta.get_field("actor").related_model  # noqa: N806
        ids = (
            Actor.objects.descendant_ids(actors)
            if include_subunits
            else {_pk(actor) for actor in actors}
        )
        links = IncidentActor.objects.filter(actor_id__in=ids)
        if roles:
            links = links.filter(role__in=[roles] if isinstance(roles, str) else roles)
        return self.filter(pk__in=links.values("incident_id"))

    def involving_country(self, country, roles=None):
        """Incidents in which an actor of ``country`` (ISO 3166 alpha-2) took part."""
        links = self._related("incident_actors").objects.filter(actor__country=country)
        if roles:
            links = links.filter(role__in=[roles] if isinstance(roles, str) else roles)
        return self.filter(pk__in=links.values("incident_id"))

    def with_aircraft(self, aircraft):
        """Incidents in which this aircraft type took part, in any role."""
        links = self._related("incident_aircraft").objects.filter(aircraft_id=_pk(aircraft))
        return self.filter(pk__in=links.values("incident_id"))

    def ids_read_once(self, limit=READ_ONCE_LIMIT):
        """A subquery of these incidents' ids, for ``pk__in``: the ids read now, in one query,
        and passed on as one parameter when there are at most ``limit`` of them.

        A text search scans every row; a list page repeats its filter in a dozen queries
        (count, rows, each facet), so reading the matches once makes it one scan instead
        of a dozen. Above ``limit`` the ids stay a subquery the database runs each time.
        """
        ids = list(self.order_by().values_list("pk", flat=True)[: limit + 1])
        if len(ids) > limit:
            return self.order_by().values("pk")
        if connections[self.db].vendor == "postgresql":
            return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))

    def matching(self, text):
        """Incidents in which every word (or "quoted phrase") of ``text`` appears somewhere:
        ref, title, summary, a source excerpt, an actor's names, the place's names."""
        IncidentActor = self._related("incident_actors")  # noqa: N806
        IncidentSource = self._related("incident_sources")  # noqa: N806
        qs = self
        for term in search_terms(text):
            actors = IncidentActor.objects.filter(
                Q(actor__name__icontains=term)
                | Q(actor__short_name__icontains=term)
                | Q(actor__aliases__icontains=term)
            )
            excerpts = IncidentSource.objects.filter(excerpt__icontains=term)
            qs = qs.filter(
                Q(ref__icontains=term)
                | Q(title__icontains=term)
                | Q(summary__icontains=term)
                | Q(location__name__icontains=term)
                | Q(location__alternative_names__icontains=term)
                | Q(pk__in=actors.values("incident_id"))
                | Q(pk__in=excerpts.values("incident_id"))
            )
        return qs

    def overlapping(self, start=None, end=None):
        """Incidents whose date interval meets [start, end] (both inclusive, either open).

        An incident dated "June 2016" (1–30 June) overlaps a query for 15 June 2016:
        uncertain dates are kept whenever they could fall inside the range.
        """
        qs = self
        if end is not None:
            qs = qs.filter(date_start__lte=end)
        if start is not None:
            qs = qs.filter(date_end__gte=start)
        return qs

    def within(self, *locations):
        """Incidents at these places or at any place inside them."""
        places = self._related("location").objects
        return self.filter(location_id__in=places.descendant_ids(locations))

    def near(self, location, km=None):
        """Incidents whose location lies within ``km`` of ``location`` (its radius if None).

        A bounding box on the indexed coordinates narrows the rows before the exact
        great-circle distance, annotated as ``distance_km``.
        """
        km = location.radius_km if km is None else km
        if km is None or location.latitude is None or location.longitude is None:
            return self.none()
        lat, lon = location.latitude, location.longitude
        dlat = km / KM_PER_DEGREE_LATITUDE * 1.01
        cos_lat = math.cos(math.radians(lat))
        dlon = 180.0 if cos_lat < 1e-6 else min(180.0, dlat / cos_lat)
        return (
            self.filter(
                location__latitude__gte=lat - dlat,
                location__latitude__lte=lat + dlat,
                location__longitude__gte=lon - dlon,
                location__longitude__lte=lon + dlon,
            )
            .annotate(distance_km=distance_km_expression(lat, lon))
            .filter(distance_km__lte=km)
        )

    def _related(self, name):
        """The model at the other end of one of the incident's relations (the models
        module builds this QuerySet's manager, so this module cannot import it)."""
        return self.model._meta.get_field(name).related_model

    def for_list(self):
        """Everything a list or export row shows, in a fixed number of queries."""
        IncidentActor = self._related("incident_actors")  # noqa: N806
        IncidentAircraft = self._related("incident_aircraft")  # noqa: N806
        IncidentSource = self._related("incident_sources")  # noqa: N806
        return self.select_related("location").prefetch_related(
            Prefetch(
                "incident_actors",
                IncidentActor.objects.select_related("actor").order_by("role", "actor__name"),
            ),
            Prefetch(
                "incident_aircraft",
                IncidentAircraft.objects.select_related("aircraft", "operator").order_by(
                    "role", "aircraft__designation"
                ),
            ),
            Prefetch(
                "incident_sources",
                IncidentSource.objects.select_related("source").order_by("source__title"),
            ),
        )


class IncidentActorManager(models.Manager):
    def get_by_natural_key(self, ref, actor_name, role):
        return self.get(incident__ref=ref, actor__name=actor_name, role=role)


class IncidentAircraftManager(models.Manager):
    def get_by_natural_key(self, ref, designation, role):
        return self.get(incident__ref=ref, aircraft__designation=designation, role=role)


class IncidentSourceManager(models.Manager):
    def get_by_natural_key(self, ref, title):
        return self.get(incident__ref=ref, source__title=title)
