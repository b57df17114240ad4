"""The incident changelist's date navigation, answered from the date indexes.

Django's navigation asks its rows two questions: the first and last date (one aggregate
holding MIN and MAX, which SQLite answers by reading every row, though each alone is a
lookup at one end of the index) and the years holding rows (a DISTINCT over every row).
``IndexedDates`` answers both from the index; Django's own tag does the rest, so the
navigation looks and links exactly as everywhere else in the admin.
"""

import copy
import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db.models import Max, Min

register = template.Library()

#: Beyond this many years a probe per year costs more than one DISTINCT.
MAX_PROBED_YEARS = 300


class IndexedDates:
    """The changelist's queryset as the date navigation asks it, by index lookups."""

    def __init__(self, queryset):
        self.queryset = queryset.order_by()

    def aggregate(self, **bounds):
        # each bound on its own: one lookup at an end of the index
        return {name: self.queryset.aggregate(value=b)["value"] for name, b in bounds.items()}

    def dates(self, field_name, kind, order="ASC"):
        if kind != "year":
            return self.queryset.dates(field_name, kind, order)
        first = self.queryset.aggregate(value=Min(field_name))["value"]
        last = self.queryset.aggregate(value=Max(field_name))["value"]
        if first is None:
            return []
        if last.year - first.year > MAX_PROBED_YEARS:
            return self.queryset.dates(field_name, kind, order)
        years = [
            datetime.date(year, 1, 1)
            for year in range(first.year, last.year + 1)
            if self.queryset.filter(
                **{
                    f"{field_name}__gte": datetime.date(year, 1, 1),
                    f"{field_name}__lte": datetime.date(year, 12, 31),
                }
            ).exists()
        ]
        return years[::-1] if order == "DESC" else years


@register.inclusion_tag("admin/date_hierarchy.html")
def indexed_date_hierarchy(cl):
    changelist = copy.copy(cl)
    changelist.queryset = IndexedDates(cl.queryset)
    return date_hierarchy(changelist)
