from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import admin_users  # noqa: F401  (registers the user admin)
from .admin_filters import (
    ActorListFilter,
    LocationListFilter,
    YearListFilter,
    autocomplete_media,
)
from .admin_import import StrictImportExportMixin
from .admin_search import BoundedSearchMixin
from .concurrent_edit import ConcurrencyAdminMixin, VersionedInlineFormSet, VersionedRowForm
from .incident_file import IncidentFileResource
from .models import (
    Actor,
    Aircraft,
    Incident,
    IncidentActor,
    IncidentAircraft,
    IncidentSource,
    Location,
    Source,
)
from .querysets import incident_count
from .resources import (
    ActorResource,
    AircraftResource,
    IncidentAircraftResource,
    IncidentSourceResource,
    LocationResource,
    SourceResource,
)


class RecordAdmin(
    BoundedSearchMixin, ConcurrencyAdminMixin, StrictImportExportMixin, SimpleHistoryAdmin
):
    """Every editable table: history, import and export, optimistic locking.

    The history page's revert form saves a row like the change form does, so a POST there
    needs the change permission on that row (django-simple-history checks only the view
    permission): a Viewer may read the history, never write through it."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if obj is None or not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class IncidentActorInline(admin.TabularInline):
    model = IncidentActor
    ordering = ["role", "actor__name"]
    formset = VersionedInlineFormSet
    form = VersionedRowForm
    autocomplete_fields = ["actor"]
    extra = 2


class IncidentAircraftInline(admin.TabularInline):
    model = IncidentAircraft
    ordering = ["role", "aircraft__designation"]
    formset = VersionedInlineFormSet
    form = VersionedRowForm
    autocomplete_fields = ["aircraft", "operator"]
    extra = 1


class IncidentSourceInline(admin.StackedInline):
    model = IncidentSource
    ordering = ["source__title"]
    formset = VersionedInlineFormSet
    form = VersionedRowForm
    autocomplete_fields = ["source"]
    extra = 1


def incident_list_link(label, **params):
    url = reverse("admin:incidents_incident_changelist")
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
    resource_classes = [IncidentFileResource]

    class Media:
        css = {"all": ["incidents/admin.css"]}  # the autocomplete list filters

    list_display = [
        "ref",
        "title",
        "date",
        "incident_type",
        "location",
        "actor_names",
        "status",
        "risk_tier",
    ]
    list_display_links = ["ref", "title"]
    list_filter = [
        "incident_type",
        "domain",
        "status",
        "risk_tier",
        "date_precision",
        YearListFilter,
        ActorListFilter,
        LocationListFilter,
    ]
    search_fields = [
        "ref",
        "title",
        "summary",
        "incident_actors__actor__name",
        "location__name",
    ]
    list_select_related = ["location"]
    date_hierarchy = "date_start"
    change_list_template = "admin/incidents/incident/change_list_dates.html"
    show_full_result_count = False
    list_per_page = 50
    save_as = True
    autocomplete_fields = ["location"]
    inlines = [IncidentActorInline, IncidentAircraftInline, IncidentSourceInline]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["ref", "title", "summary", "incident_type", "domain"]}),
        ("When", {"fields": [("date_start", "date_end", "date_precision")]}),
        ("Where", {"fields": [("location", "location_precision")]}),
        (
            "Assessment",
            {
                "fields": [
                    "status",
                    "risk_tier",
                    ("us_safety", "us_professionalism"),
                    "deconfliction_channel_used",
                    ("fatalities_low", "fatalities_best", "fatalities_high"),
                ]
            },
        ),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": [("created_at", "created_by"), ("updated_at", "updated_by")],
            },
        ),
    ]

    # The reference tables link here with these lookups (see IncidentCountAdmin): exactly
    # the incidents their count counts.
    related_lookups = {
        "incident_actors__actor__id__exact",
        "incident_aircraft__aircraft__id__exact",
        "incident_sources__source__id__exact",
    }

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.related_lookups or super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("incident_actors__actor")

    @property
    def media(self):
        return super().media + autocomplete_media(self.admin_site)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).for_list()

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="date", ordering="date_start")
    def date(self, obj):
        return obj.date_display

    @admin.display(description="actors")
    def actor_names(self, obj):
        return "; ".join(
            f"{link.actor.short_name or link.actor.name} ({link.role})"
            for link in obj.incident_actors.all()
        )


class IncidentCountAdmin(RecordAdmin):
    """Reference tables: searchable, with their incident counts and a link to them."""

    incident_filter = None

    def get_queryset(self, request):
        # GROUP BY drops Meta.ordering; the autocomplete paginates this queryset.
        return (
            super()
            .get_queryset(request)
            .annotate(incident_count=incident_count())
            .order_by(*self.model._meta.ordering)
        )

    @admin.display(description="incidents", ordering="incident_count")
    def incidents_link(self, obj):
        return incident_list_link(obj.incident_count, **{self.incident_filter: obj.pk})


@admin.register(Actor)
class ActorAdmin(IncidentCountAdmin):
    resource_classes = [ActorResource]
    list_display = ["name", "short_name", "kind", "country", "parent", "incidents_link"]
    list_filter = ["kind", "acled_actor_type"]
    search_fields = ["name", "short_name", "aliases"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    incident_filter = "incident_actors__actor__id__exact"


@admin.register(Location)
class LocationAdmin(IncidentCountAdmin):
    resource_classes = [LocationResource]
    list_display = ["name", "kind", "admin1", "country", "latitude", "longitude", "incidents_link"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "alternative_names", "admin1"]
    autocomplete_fields = ["parent"]
    incident_filter = "location__id__exact"


@admin.register(Aircraft)
class AircraftAdmin(IncidentCountAdmin):
    resource_classes = [AircraftResource]
    list_display = [
        "designation",
        "nato_name",
        "role",
        "crewed",
        "icao_designator",
        "incidents_link",
    ]
    list_filter = ["role", "crewed"]
    search_fields = ["designation", "nato_name", "icao_designator"]
    incident_filter = "incident_aircraft__aircraft__id__exact"


@admin.register(Source)
class SourceAdmin(IncidentCountAdmin):
    resource_classes = [SourceResource]
    list_display = ["title", "publisher", "author", "published", "reliability", "incidents_link"]
    list_filter = ["reliability"]
    search_fields = ["title", "publisher", "author", "url"]
    incident_filter = "incident_sources__source__id__exact"
    # A URL typed without its scheme is taken as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="published", ordering="published_on")
    def published(self, obj):
        return obj.published_display


@admin.register(IncidentAircraft)
class IncidentAircraftAdmin(RecordAdmin):
    """Aircraft links, for batch import and export beside the incidents file."""

    resource_classes = [IncidentAircraftResource]
    ordering = ["-incident__date_start", "incident__ref", "role"]
    list_display = ["incident", "aircraft", "role", "operator", "count"]
    list_filter = ["role"]
    search_fields = ["incident__ref", "aircraft__designation"]
    autocomplete_fields = ["incident", "aircraft", "operator"]
    list_select_related = ["incident", "aircraft", "operator"]


@admin.register(IncidentSource)
class IncidentSourceAdmin(RecordAdmin):
    """Citations (incident, source, excerpt, credibility), for batch import and export."""

    resource_classes = [IncidentSourceResource]
    ordering = ["-incident__date_start", "incident__ref", "source__title"]
    list_display = ["incident", "source", "grade"]
    search_fields = ["incident__ref", "source__title", "excerpt"]
    autocomplete_fields = ["incident", "source"]
    list_select_related = ["incident", "source"]
