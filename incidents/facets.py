"""Counts beside the list, computed on the filtered incidents, the way Datasette does it.

Each bucket has its value, label, count, whether it is selected, and the query string
that toggles it. One query per facet (two for actors and aircraft, named after they are
counted), whatever the number of rows.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Min, Q

from .models import IncidentActor, IncidentAircraft, IncidentType, RiskTier, Status

TOP = 12
MAX_YEARS = 30
# Above this many incidents the facets are counted on a systematic sample (every
# SAMPLE_STEP-th id) and scaled: exact counts of a million rows took 5 s on SQLite, and a
# facet that says "≈" is better than one that vanishes or a page that stalls.
EXACT_LIMIT = 100_000
SAMPLE_STEP = 16


@dataclass
class Bucket:
    value: str
    label: str
    count: int
    selected: bool
    query: str


@dataclass
class Facet:
    name: str
    title: str
    buckets: list = field(default_factory=list)
    note: str = ""
    estimated: bool = False


def _toggle(filterset, name, value):
    values = filterset.params().get(name, [])
    selected = value in values
    changed = [v for v in values if v != value] if selected else [*values, value]
    return selected, filterset.querystring(**{name: changed})


def choice_facet(filterset, qs, name, choices, title):
    facet = Facet(name, title)
    rows = qs.order_by().values_list(name).annotate(n=Count("pk")).order_by("-n", name)
    for value, count in rows:
        selected, query = _toggle(filterset, name, value)
        facet.buckets.append(Bucket(value, choices(value).label, count, selected, query))
    return facet


def year_facet(filterset, qs):
    """Incidents whose dates overlap each year (one spanning 2014–2017 counts in each).

    The years counted run between the first and last dates of the whole table, read from
    their indexes (years without incidents are left out anyway): the bounds of the
    filtered incidents cost a scan of their own (PostgreSQL's planner walks the date index)."""
    facet = Facet("year", "Year")
    # each bound asked on its own: together, SQLite reads every row instead of two index ends
    rows = qs.model._default_manager.order_by()
    bounds = {
        "first": rows.aggregate(value=Min("date_start"))["value"],
        "last": rows.aggregate(value=Max("date_end"))["value"],
    }
    if bounds["first"] is None:
        return facet
    data = filterset.form.cleaned_data
    # only the years inside the filter's own range: the rest are outside what it asks
    last = min(bounds["last"].year, (data.get("date_before") or bounds["last"]).year)
    earliest = max(bounds["first"].year, (data.get("date_after") or bounds["first"]).year)
    first = max(earliest, last - MAX_YEARS + 1)
    if first > earliest:
        facet.note = f"Years before {first} are not counted here."
    counts = qs.order_by().aggregate(
        **{
            f"y{year}": Count(
                "pk",
                filter=Q(
                    date_start__lte=datetime.date(year, 12, 31),
                    date_end__gte=datetime.date(year, 1, 1),
                ),
            )
            for year in range(first, last + 1)
        }
    )
    for year in range(last, first - 1, -1):
        count = counts[f"y{year}"]
        if not count:
            continue
        # the year within the current range, so that the link lists what was counted
        after = max(datetime.date(year, 1, 1), data.get("date_after") or datetime.date.min)
        before = min(datetime.date(year, 12, 31), data.get("date_before") or datetime.date.max)
        selected = (data.get("date_after"), data.get("date_before")) == (after, before)
        if selected:
            query = filterset.querystring(date_after=[], date_before=[])
        else:
            query = filterset.querystring(
                date_after=[after.isoformat()], date_before=[before.isoformat()]
            )
        facet.buckets.append(Bucket(str(year), str(year), count, selected, query))
    return facet


def linked_facet(filterset, qs, name, title, links, label_field):
    """Actors or aircraft named in the incidents, most frequent first (ties by name).

    Counted by id and named afterwards: joining the names before counting made
    PostgreSQL loop over every name for each link."""
    facet = Facet(name, title)
    key, field_name = label_field.split("__")
    counts = list(
        links.filter(incident_id__in=qs.order_by().values("pk"))
        .values_list(f"{key}_id")
        .annotate(n=Count("incident_id", distinct=True))
        .order_by("-n")
    )
    if len(counts) > TOP:  # those tied with the last one shown too, to order them by name
        counts = [(pk, n) for pk, n in counts if n >= counts[TOP - 1][1]]
    related = links.model._meta.get_field(key).related_model._default_manager
    names = dict(related.filter(pk__in=[pk for pk, _ in counts]).values_list("pk", field_name))
    ranked = sorted(((names[pk], n) for pk, n in counts), key=lambda row: (-row[1], row[0]))
    for label, count in ranked[:TOP]:
        selected, query = _toggle(filterset, name, label)
        facet.buckets.append(Bucket(label, label, count, selected, query))
    _add_selected(filterset, facet)
    return facet


def location_facet(filterset, qs):
    """Places the incidents happened at; a click narrows to that place (and inside it)."""
    facet = Facet("location", "Location")
    rows = (
        qs.order_by()
        .filter(location__isnull=False)
        .values_list("location__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "location__name")[:TOP]
    )
    selected_names = filterset.params().get("location", [])
    for label, count in rows:
        selected = label in selected_names
        changed = [v for v in selected_names if v != label] if selected else [label]
        query = filterset.querystring(location=changed)
        facet.buckets.append(Bucket(label, label, count, selected, query))
    _add_selected(filterset, facet)
    return facet


def _add_selected(filterset, facet):
    """A selected value stays visible (with its remove link) even when not counted."""
    shown = {bucket.value for bucket in facet.buckets}
    for value in filterset.params().get(facet.name, []):
        if value not in shown:
            _, query = _toggle(filterset, facet.name, value)
            facet.buckets.insert(0, Bucket(value, value, None, True, query))


def sample_of(queryset, field="pk"):
    """Every SAMPLE_STEP-th incident by id (of incidents, or of link rows by incident).
    The remainder is SQL's own ``%``: Django's ``Mod`` is a Python function on SQLite,
    called for every row, which doubled the cost of each sampled facet."""
    return queryset.alias(sample=F(field) % SAMPLE_STEP).filter(sample=0)


def scaled(facet, factor):
    facet.estimated = True
    facet.note = f"Estimated from a sample of 1 in {SAMPLE_STEP} (more than {EXACT_LIMIT:,})."
    for bucket in facet.buckets:
        if bucket.count is not None:
            bucket.count = round(bucket.count * factor)
    return facet


def facets_for(filterset, qs, total=None):
    """Every facet of the list, on the filtered queryset ``qs`` (``total`` rows)."""
    roles = filterset.form.cleaned_data.get("actor_role") or None
    actor_links = IncidentActor.objects.all()
    if roles:
        actor_links = actor_links.filter(role__in=roles)
    aircraft_links = IncidentAircraft.objects.all()
    estimate = total is not None and total > EXACT_LIMIT
    if estimate:
        qs = sample_of(qs)
        actor_links = sample_of(actor_links, "incident_id")
        aircraft_links = sample_of(aircraft_links, "incident_id")
    types = choice_facet(filterset, qs, "incident_type", IncidentType, "Type")
    # every incident has one type: the type counts add up to the sample's size
    sampled = sum(bucket.count for bucket in types.buckets)
    facets = [
        types,
        year_facet(filterset, qs),
        linked_facet(filterset, qs, "actor", "Actor", actor_links, "actor__name"),
        location_facet(filterset, qs),
        linked_facet(
            filterset, qs, "aircraft", "Aircraft", aircraft_links, "aircraft__designation"
        ),
        choice_facet(filterset, qs, "status", Status, "Status"),
        choice_facet(filterset, qs, "risk_tier", RiskTier, "Risk tier"),
    ]
    return [scaled(facet, total / max(1, sampled)) for facet in facets] if estimate else facets
