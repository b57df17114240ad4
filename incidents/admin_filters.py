"""List filters that search instead of listing every row (a million-row table has
thousands of actors and places). They use the admin's own autocomplete widget."""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Max, Min

from .models import Incident, IncidentActor


class AutocompleteListFilter(admin.SimpleListFilter):
    template = "admin/incidents/autocomplete_filter.html"
    #: (model, field name) whose ForeignKey the admin's autocomplete view serves
    source = None
    related_model = None

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.admin_site = model_admin.admin_site
        self.other_params = [
            (key, value)
            for key, values in request.GET.lists()
            if key not in (self.parameter_name, "p")
            for value in values
        ]

    def has_output(self):
        return True

    def lookups(self, request, model_admin):
        return ()

    def rendered_widget(self):
        model, field_name = self.source
        db_field = model._meta.get_field(field_name)
        form_field = forms.ModelChoiceField(
            queryset=db_field.remote_field.model._default_manager.all(),
            required=False,
            widget=AutocompleteSelect(db_field, self.admin_site),
        )
        return form_field.widget.render(
            self.parameter_name, self.selected_pk(), attrs={"id": f"filter-{self.parameter_name}"}
        )

    def selected_pk(self):
        value = self.value()
        return int(value) if value and value.isdigit() else None

    def choices(self, changelist):
        return []

    def expected_parameters(self):
        return [self.parameter_name]


class ActorListFilter(AutocompleteListFilter):
    title = "actor (with its sub-units)"
    parameter_name = "actor"
    source = (IncidentActor, "actor")

    def queryset(self, request, queryset):
        pk = self.selected_pk()
        if pk is None:
            return queryset
        return queryset.involving(pk)


class LocationListFilter(AutocompleteListFilter):
    title = "location (with the places inside it)"
    parameter_name = "location"
    source = (Incident, "location")

    def queryset(self, request, queryset):
        pk = self.selected_pk()
        if pk is None:
            return queryset
        return queryset.within(pk)


def autocomplete_media(admin_site):
    return AutocompleteSelect(Incident._meta.get_field("location"), admin_site).media


class YearListFilter(admin.SimpleListFilter):
    """Incidents *in* a year as the analyst list means it: whose date range overlaps it
    (an incident of "2016–2017" is in both). The years run from the earliest start to the
    latest end, each bound asked on its own (one index lookup each)."""

    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        rows = model_admin.get_queryset(request).order_by()
        first = rows.aggregate(value=Min("date_start"))["value"]
        last = rows.aggregate(value=Max("date_end"))["value"]
        if first is None:
            return []
        return [(str(year), str(year)) for year in range(last.year, first.year - 1, -1)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and 1 <= int(value) <= 9999:
            year = int(value)
            return queryset.overlapping(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        return queryset
