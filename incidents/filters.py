"""The one filter of the analyst pages, their exports and the export command.

Its GET parameters are the page's URL, so a filtered view can be bookmarked and shared:

    /incidents/?incident_type=air_intercept&actor=Russian+Aerospace+Forces
               &actor_role=initiator&date_after=2023-01-01&date_before=2023-12-31

Several values of a choice (``incident_type``, ``status``, ...) or of ``location`` mean
"any of them"; several ``actor``, ``country`` or ``aircraft`` values mean "all of them"
(an encounter between the Russian Aerospace Forces and the US Air Force), so that each
facet link narrows the list. ``actor_role`` narrows ``actor`` and ``country`` to those
roles. Names are the natural keys (an actor's name or short name, a place's name, an
aircraft's designation), so a shared link means the same on every copy of the database.
"""

import calendar
import urllib.parse

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Value, When

from .dates import format_date_range
from .filter_fields import (
    MAX_TEXT,
    CountryCodesFilter,
    FloatFilter,
    NamedRowField,
    NamedRowFilter,
    NamedRowsFilter,
    ValueListField,
)
from .models import (
    Actor,
    ActorRole,
    Aircraft,
    DatePrecision,
    Domain,
    Incident,
    IncidentActor,
    IncidentType,
    Location,
    RiskTier,
    Status,
)
from .querysets import search_terms

MAX_WORDS = 10
MAX_KM = 20_038  # half the Earth's circumference: every point is nearer than that

RISK_RANK = Case(
    *(When(risk_tier=code, then=Value(rank)) for rank, code in enumerate(RiskTier.values)),
    default=Value(0),
    output_field=IntegerField(),
)
#: The list's orders, once: {value of ?ordering=: (label, order_by)}.
ORDERINGS = {
    "-date": ("Newest first", ("-date_start", "-ref")),
    "date": ("Oldest first", ("date_start", "ref")),
    "ref": ("Reference", ("ref",)),
    "-ref": ("Reference, descending", ("-ref",)),
    "-risk": ("Highest risk first", ("-risk_rank", "-date_start", "-ref")),
    "risk": ("Lowest risk first", ("risk_rank", "-date_start", "-ref")),
}
DEFAULT_ORDERING = "-date"


class IncidentFilterForm(forms.Form):
    """Rules between fields: an ordered date range, a radius with its place."""

    def clean(self):
        data = super().clean()
        if len(search_terms(data.get("q") or "")) > MAX_WORDS:
            self.add_error("q", f"At most {MAX_WORDS} words or phrases, please.")
        after, before = data.get("date_after"), data.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The end of the range is before its start.")
        near, km = data.get("near"), data.get("km")
        if km is not None and not near and "near" not in self.errors:
            self.add_error("near", "Give a place to measure the distance from.")
        if near and (near.latitude is None or near.longitude is None):
            self.add_error("near", f"{near} has no coordinates to measure from.")
        elif near and km is None and "km" not in self.errors and near.radius_km is None:
            self.add_error("km", f"Give a distance: {near} has no radius of its own.")
        return data


def date_filter(label, help_text):
    return django_filters.DateFilter(
        method="filter_nothing",
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )


def choices_filter(choices, label):
    # A column of the incident itself: no join, so no row can repeat, and the DISTINCT
    # that django-filter adds by default only wrapped every count and facet in a subquery
    # around the whole row.
    return django_filters.MultipleChoiceFilter(
        choices=choices.choices,
        label=label,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_nothing",
        label="Words",
        max_length=MAX_TEXT,
        help_text="In refs, titles, summaries, source excerpts, actors and places. "
        '"Quoted words" match as a phrase.',
    )
    date_after = date_filter("From", "Incidents that may have happened on or after this day.")
    date_before = date_filter("To", "Incidents that may have happened on or before this day.")
    incident_type = choices_filter(IncidentType, "Type")
    domain = choices_filter(Domain, "Domain")
    status = choices_filter(Status, "Status")
    risk_tier = choices_filter(RiskTier, "Risk tier")
    date_precision = choices_filter(DatePrecision, "Date known to the")
    actor = NamedRowsFilter(
        label="Actor",
        model=Actor,
        noun="actor",
        help_text="Includes its sub-units. Several actors: incidents involving all of them.",
    )
    actor_role = django_filters.MultipleChoiceFilter(
        method="filter_nothing",
        choices=ActorRole.choices,
        label="In the role of",
        widget=forms.CheckboxSelectMultiple,
    )
    country = CountryCodesFilter(label="Actor's country", help_text="Two letters: RU, US, SY.")
    aircraft = NamedRowsFilter(label="Aircraft", model=Aircraft, noun="aircraft")
    location = NamedRowsFilter(
        label="Location",
        model=Location,
        noun="location",
        help_text="Includes the places inside it.",
    )
    near = NamedRowFilter(
        label="Near",
        model=Location,
        noun="location",
    )
    km = FloatFilter(
        method="filter_nothing",
        label="Within km",
        min_value=0,
        max_value=MAX_KM,
        help_text="Distance from the place given in Near (its own radius if empty).",
    )
    ordering = django_filters.ChoiceFilter(
        method="filter_nothing",
        label="Order",
        choices=[(value, label) for value, (label, _) in ORDERINGS.items()],
        empty_label=None,
    )

    class Meta:
        model = Incident
        fields = []
        form = IncidentFilterForm

    # --- filtering -------------------------------------------------------------------

    def filter_nothing(self, queryset, name, value):
        """Fields used together in ``filter_queryset``, not one by one."""
        return queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        qs = super().filter_queryset(queryset)
        if search_terms(data.get("q") or ""):
            # the text search scans every row: once per page, not once per facet
            matches = qs.model.objects.matching(data["q"]).ids_read_once()
            qs = qs.filter(pk__in=matches)
        qs = qs.overlapping(data.get("date_after"), data.get("date_before"))
        roles = data.get("actor_role") or None
        for actor in data.get("actor") or ():
            qs = qs.involving(actor, roles=roles)
        for country in data.get("country") or ():
            qs = qs.involving_country(country, roles=roles)
        if roles and not data.get("actor") and not data.get("country"):
            qs = qs.filter(
                pk__in=IncidentActor.objects.filter(role__in=roles).values("incident_id")
            )
        for aircraft in data.get("aircraft") or ():
            qs = qs.with_aircraft(aircraft)
        if data.get("location"):
            qs = qs.within(*data["location"])
        if data.get("near"):
            qs = qs.near(data["near"], data.get("km"))
        return self.order(qs, data.get("ordering") or DEFAULT_ORDERING)

    @staticmethod
    def order(qs, ordering):
        if "risk" in ordering:
            qs = qs.annotate(risk_rank=RISK_RANK)
        return qs.order_by(*ORDERINGS[ordering][1])

    @property
    def qs(self):
        """The filtered incidents; none at all when any parameter is invalid."""
        if not hasattr(self, "_qs"):
            if self.is_bound and not self.is_valid():
                self._qs = self.queryset.none()
            else:
                self._qs = super().qs
        return self._qs

    # --- describing ------------------------------------------------------------------

    def params(self):
        """The non-empty parameters as given, in the filter's order: {name: [values]}."""
        if not self.is_bound:
            return {}
        cleaned = self.form.cleaned_data if self.is_valid() else {}
        params = {}
        for name in self.filters:
            values = [v.strip() for v in self.data.getlist(name) if v.strip()]
            if name in ("actor", "aircraft", "location", "near", "country") and cleaned:
                rows = cleaned.get(name)
                rows = [] if rows is None else rows if isinstance(rows, list) else [rows]
                values = [row if isinstance(row, str) else row.natural_key()[0] for row in rows]
            elif not self.is_multiple(name):
                values = values[-1:]
            if values:
                params[name] = values
        return params

    def is_multiple(self, name):
        field = self.form.fields[name]
        multiple = isinstance(field, forms.MultipleChoiceField | ValueListField)
        return multiple and not isinstance(field, NamedRowField)

    def querystring(self, **changes):
        """This filter's query string, with some parameters replaced ([] removes one)."""
        params = self.params()
        params.update(changes)
        return urllib.parse.urlencode(
            [(name, value) for name, values in params.items() for value in values if values]
        )

    def error_list(self):
        """["actor: Unknown actor “Rusia” …", ...] in the filter's order."""
        errors = []
        for name, messages in self.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            errors.extend(f"{label or name} ({name}): {message}" for message in messages)
        return errors

    def summary(self, count):
        """The filter in plain words: "14 incidents involving VKS within 55 km of al-Tanf"."""
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        types = data.get("incident_type") or []
        if len(types) == 1 and " or " not in IncidentType(types[0]).label:
            noun = lower_first(IncidentType(types[0]).label)
            noun = noun + ("s" if count != 1 else "")
            head = f"{count:,} {noun}"
        else:
            head = f"{count:,} incident{'s' if count != 1 else ''}"
            if types:
                head += " of type " + or_list(lower_first(IncidentType(t).label) for t in types)
        parts = [head]
        roles = data.get("actor_role") or []
        role_words = f" as {or_list(ActorRole(r).label.lower() for r in roles)}" if roles else ""
        if data.get("actor"):
            parts.append(f"involving {and_list(str(a) for a in data['actor'])}{role_words}")
        if data.get("country"):
            parts.append(f"with actors from {and_list(data['country'])}{role_words}")
        if roles and not data.get("actor") and not data.get("country"):
            parts.append(f"with an actor{role_words}")
        if data.get("aircraft"):
            parts.append(f"with the {and_list(str(a) for a in data['aircraft'])}")
        if data.get("location"):
            parts.append(f"in {or_list(str(p) for p in data['location'])}")
        if data.get("near"):
            km = data.get("km")
            km = data["near"].radius_km if km is None else km
            parts.append(f"within {km:g} km of {data['near']}")
        if data.get("q"):
            parts.append(f"matching “{data['q']}”")
        qualities = []
        for name, choices in (
            ("domain", Domain),
            ("status", Status),
            ("risk_tier", RiskTier),
            ("date_precision", DatePrecision),
        ):
            if data.get(name):
                label = lower_first(self.filters[name].label)
                values = or_list(lower_first(choices(v).label) for v in data[name])
                qualities.append(f"{label} {values}")
        if qualities:
            parts.append(f"({'; '.join(qualities)})")
        text = " ".join(parts)
        period = describe_period(data.get("date_after"), data.get("date_before"))
        return f"{text}, {period}" if period else text


def lower_first(label):
    """ "Air intercept" → "air intercept", but "ISR overflight" stays as it is."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def and_list(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def or_list(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def describe_period(after, before):
    """A date range as an analyst says it: "2023", "March–December 2023", "since 1 Mar 2023"."""
    if after and before:
        last_of_month = before.day == calendar.monthrange(before.year, before.month)[1]
        if after.day == 1 and last_of_month:
            if (after.month, before.month) == (1, 12):
                return format_date_range(after, before, DatePrecision.YEAR)
            return format_date_range(after, before, DatePrecision.MONTH)
        return format_date_range(after, before, DatePrecision.DAY)
    if after:
        return "since " + format_date_range(after, after, DatePrecision.DAY)
    if before:
        return "until " + format_date_range(before, before, DatePrecision.DAY)
    return ""
