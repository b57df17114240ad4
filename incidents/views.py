"""Analyst pages: the filtered incident list with facets, detail pages, exports.

Every page needs a login and the "view" permission (viewers and up); exports need the
"export" permission, which every role holds. Filtering lives in ``IncidentFilter``.
"""

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.views.generic import DetailView, ListView, TemplateView

from .export_file import FORMATS, ExportRefused, IncidentExport, export_url
from .export_slots import ExportBusy, held_by
from .facets import facets_for
from .filters import DEFAULT_ORDERING, IncidentFilter
from .maps import focus_of, map_payload, places_of, zones
from .models import (
    Actor,
    Aircraft,
    Incident,
    IncidentActor,
    IncidentAircraft,
    IncidentSource,
    Location,
    RiskTier,
)
from .querysets import incident_count
from .timeline import build_timeline

PAGE_SIZE = 50
NEIGHBOURS = 10
HISTORY_LIMIT = 50
SORTABLE = {"date": "Date", "ref": "Ref", "risk": "Risk"}


class AnalystMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "incidents.view_incident"


def export_links(filterset):
    query = filterset.querystring()
    return [(fmt.upper(), export_url(fmt, query)) for fmt in FORMATS]


def sort_links(filterset):
    """{column: (label, arrow, query)}: a click sorts by the column, a second reverses it."""
    current = filterset.params().get("ordering", [DEFAULT_ORDERING])[0]
    links = {}
    for key, label in SORTABLE.items():
        if current == f"-{key}":
            target, arrow = key, "↓"
        elif current == key:
            target, arrow = f"-{key}", "↑"
        else:
            target, arrow = (key if key == "ref" else f"-{key}"), ""
        links[key] = (label, arrow, filterset.querystring(ordering=[target]))
    return links


MAX_REDIRECT_URL = 8192


class IncidentListView(AnalystMixin, TemplateView):
    template_name = "incidents/incident_list.html"
    extra_context = {"nav": "incidents"}

    def get(self, request, *args, **kwargs):
        # The form sends every field, empty ones included: drop those, so the URL to
        # bookmark and share says only what the filter is.
        given = [(name, value) for name, values in request.GET.lists() for value in values]
        kept = [(name, value) for name, value in given if value.strip()]
        target = request.path + (f"?{urlencode(kept)}" if kept else "")
        # A URL too long to redirect to (Django refuses 16 KB) is shown as it is: its
        # filter says what is wrong with the oversized value.
        if len(kept) < len(given) and len(target) <= MAX_REDIRECT_URL:
            return HttpResponseRedirect(target)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        filterset = IncidentFilter(self.request.GET, queryset=Incident.objects.all())
        qs = filterset.qs
        paginator = Paginator(qs.for_list(), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        valid = filterset.is_valid()
        return super().get_context_data(
            filter=filterset,
            valid=valid,
            errors=filterset.error_list(),
            page=page,
            incidents=list(page.object_list),
            summary=filterset.summary(paginator.count) if valid else "No incidents shown",
            facets=facets_for(filterset, qs, paginator.count) if valid else [],
            query=filterset.querystring(),
            exports=export_links(filterset) if valid else [],
            sort=sort_links(filterset),
            **kwargs,
        )


class DashboardView(AnalystMixin, TemplateView):
    """Totals, timeline, map, newest incidents and top names, for the list's filter."""

    template_name = "incidents/dashboard.html"
    extra_context = {"nav": "dashboard"}

    def get_context_data(self, **kwargs):
        filterset = IncidentFilter(self.request.GET, queryset=Incident.objects.all())
        qs = filterset.qs
        valid = filterset.is_valid()
        interval = "year" if self.request.GET.get("interval") == "year" else "month"
        query = filterset.querystring()
        totals = qs.order_by().aggregate(
            first=Min("date_start"), last=Max("date_end"), places=Count("location", distinct=True)
        )
        total = qs.count()
        facets = {f.name: f for f in facets_for(filterset, qs, total)} if valid else {}
        places = places_of(qs, filterset) if valid else []
        return super().get_context_data(
            filter=filterset,
            valid=valid,
            errors=filterset.error_list(),
            summary=filterset.summary(total) if valid else "No incidents shown",
            total=total,
            totals=totals,
            high_risk=qs.filter(risk_tier=RiskTier.HIGH_RISK).count(),
            facets=facets,
            timeline=build_timeline(filterset, qs, interval) if valid else None,
            interval=interval,
            map_data=map_payload(places, zones()),
            places=places,
            recent=list(qs.for_list()[:10]),
            query=query,
            list_url=reverse("incidents:list") + (f"?{query}" if query else ""),
            month_url="?" + query if query else "?",
            year_url="?" + (f"{query}&" if query else "") + "interval=year",
            exports=export_links(filterset) if valid else [],
            **kwargs,
        )


def export_incidents(request, file_format):
    """The list's rows, in the list's order, streamed (``/incidents/export.csv?...``).

    Refused before any row is read when the filter is invalid or an XLSX would be too long
    (400), or while the same user's previous export still streams (429)."""
    from django.contrib.auth.views import redirect_to_login

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm("incidents.export_incident"):
        return HttpResponse("You may not export incidents.", status=403, content_type="text/plain")
    filterset = IncidentFilter(request.GET, queryset=Incident.objects.all())
    try:
        export = IncidentExport(filterset, file_format)
        chunks = held_by(request.user, export.chunks())
    except ExportRefused as refusal:
        return HttpResponse(str(refusal), status=400, content_type="text/plain; charset=utf-8")
    except ExportBusy as busy:
        return busy.response()
    response = StreamingHttpResponse(chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Export-Manifest"] = export.manifest_header()
    response["X-Export-Rows"] = str(export.rows)
    response["Cache-Control"] = "no-store"
    return response


class IncidentDetailView(AnalystMixin, DetailView):
    model = Incident
    slug_field = "ref"
    slug_url_kwarg = "ref"
    context_object_name = "incident"
    template_name = "incidents/incident_detail.html"
    extra_context = {"nav": "incidents"}

    def get_queryset(self):
        return Incident.objects.select_related("location", "created_by", "updated_by")

    def get_context_data(self, **kwargs):
        incident = self.object
        actors = list(incident.incident_actors.select_related("actor").order_by("role", "actor"))
        actor_ids = {link.actor_id for link in actors}
        others = Incident.objects.exclude(pk=incident.pk).order_by("-date_start", "-ref")
        same_place = (
            others.filter(location_id=incident.location_id)[:NEIGHBOURS]
            if incident.location_id
            else []
        )
        same_actors = others.filter(
            pk__in=IncidentActor.objects.filter(actor_id__in=actor_ids).values("incident_id")
        )[:NEIGHBOURS]
        return super().get_context_data(
            actors=actors,
            aircraft=incident.incident_aircraft.select_related("aircraft", "operator").order_by(
                "role", "aircraft"
            ),
            citations=incident.incident_sources.select_related("source").order_by("source"),
            history=incident_history(incident),
            same_place=list(same_place),
            same_actors=list(same_actors),
            can_edit=self.request.user.has_perm("incidents.change_incident"),
            admin_url=reverse("admin:incidents_incident_change", args=[incident.pk]),
            map_data=map_payload([], zones(), focus_of(incident.location)),
            **kwargs,
        )


def incident_history(incident):
    """Changes to the incident and to its actors, aircraft and citations, newest first."""
    entries = []
    records = list(incident.history.select_related("history_user")[: HISTORY_LIMIT + 1])
    for position, newer in enumerate(records[:HISTORY_LIMIT]):
        older = records[position + 1] if position + 1 < len(records) else None
        changed = []
        if older is not None and newer.history_type == "~":
            changed = [change.field for change in newer.diff_against(older).changes]
        entries.append(
            {
                "when": newer.history_date,
                "user": newer.history_user,
                "what": {"+": "Created", "~": "Changed", "-": "Deleted"}[newer.history_type],
                "detail": ", ".join(changed),
                "reason": newer.history_change_reason or "",
            }
        )
    for model, noun, describe in (
        (IncidentActor, "actor", lambda r: f"{r.actor} ({r.role})"),
        (IncidentAircraft, "aircraft", lambda r: f"{r.aircraft} ({r.role})"),
        (IncidentSource, "citation", lambda r: f"{r.source} ({r.credibility})"),
    ):
        related = {"actor": "actor", "aircraft": "aircraft", "citation": "source"}[noun]
        rows = model.history.filter(incident_id=incident.pk).select_related(
            "history_user", related
        )[:HISTORY_LIMIT]
        for record in rows:
            entries.append(
                {
                    "when": record.history_date,
                    "user": record.history_user,
                    "what": {"+": f"Added {noun}", "~": f"Changed {noun}", "-": f"Removed {noun}"}[
                        record.history_type
                    ],
                    "detail": describe(record),
                    "reason": record.history_change_reason or "",
                }
            )
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries[:HISTORY_LIMIT]


# --- actors, locations, aircraft -----------------------------------------------------


class ReferenceListView(AnalystMixin, ListView):
    paginate_by = 100

    def get_queryset(self):
        return self.model.objects.annotate(incident_count=incident_count()).order_by(
            *self.model._meta.ordering
        )

    def paginate_queryset(self, queryset, page_size):
        """As the incident list does: a page out of range or not a number shows the
        nearest page (``get_page``) instead of a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class ActorListView(ReferenceListView):
    model = Actor
    template_name = "incidents/actor_list.html"
    extra_context = {"nav": "actors"}

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class LocationListView(ReferenceListView):
    model = Location
    template_name = "incidents/location_list.html"
    extra_context = {"nav": "locations"}

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class AircraftListView(ReferenceListView):
    model = Aircraft
    template_name = "incidents/aircraft_list.html"
    extra_context = {"nav": "aircraft"}


class ReferenceDetailView(AnalystMixin, DetailView):
    """A reference row's facts and its incidents (the first page; the list has the rest)."""

    filter_name = ""

    def incidents(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        qs = self.incidents().order_by("-date_start", "-ref")
        query = urlencode({self.filter_name: self.object.natural_key()[0]})
        return super().get_context_data(
            incidents=list(qs.for_list()[:PAGE_SIZE]),
            incident_count=qs.count(),
            list_url=reverse("incidents:list") + "?" + query,
            can_edit=self.request.user.has_perm(f"incidents.change_{self.model._meta.model_name}"),
            admin_url=reverse(
                f"admin:incidents_{self.model._meta.model_name}_change", args=[self.object.pk]
            ),
            **kwargs,
        )


class ActorDetailView(ReferenceDetailView):
    model = Actor
    template_name = "incidents/actor_detail.html"
    extra_context = {"nav": "actors"}
    filter_name = "actor"

    def incidents(self):
        return Incident.objects.involving(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subunits=self.object.children.order_by("name"),
            roles=IncidentActor.objects.filter(actor=self.object)
            .values_list("role")
            .annotate(n=Count("incident_id"))
            .order_by("-n"),
            **kwargs,
        )


class LocationDetailView(ReferenceDetailView):
    model = Location
    template_name = "incidents/location_detail.html"
    extra_context = {"nav": "locations"}
    filter_name = "location"
    default_radius_km = 50

    def incidents(self):
        return Incident.objects.within(self.object)

    def get_context_data(self, **kwargs):
        place = self.object
        km = place.radius_km or self.default_radius_km
        near = []
        if place.latitude is not None and place.longitude is not None:
            near = list(
                Incident.objects.near(place, km)
                .select_related("location")
                .order_by("distance_km", "-date_start")[:PAGE_SIZE]
            )
        around = Incident.objects.none()
        if place.latitude is not None and place.longitude is not None:
            around = Incident.objects.near(place, km)
        return super().get_context_data(
            map_data=map_payload(places_of(around), zones(), focus_of(place)),
            near=near,
            near_km=km,
            near_url=reverse("incidents:list") + "?" + urlencode({"near": place.name, "km": km}),
            **kwargs,
        )


class AircraftDetailView(ReferenceDetailView):
    model = Aircraft
    template_name = "incidents/aircraft_detail.html"
    extra_context = {"nav": "aircraft"}
    filter_name = "aircraft"

    def incidents(self):
        return Incident.objects.with_aircraft(self.object)
