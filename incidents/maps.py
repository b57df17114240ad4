"""What the maps draw: the incidents' places (one marker per place, sized by its count),
their newest incidents for the popup, and zones such as al-Tanf's 55 km.

The data goes into the page with ``json_script`` and ``static/incidents/map.js`` draws it
with Leaflet; without a tile server the map is a plain background with a graticule.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from .models import Incident, Location

MAX_PLACES = 500
PER_PLACE = 5
MAX_ZONES = 200


def tiles():
    url = getattr(settings, "MAP_TILE_URL", "")
    if not url:
        return None
    return {"url": url, "attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "")}


def _incident(row):
    return {
        "ref": row.ref,
        "date": row.date_display,
        "title": row.title,
        "url": reverse("incidents:detail", args=[row.ref]),
    }


def places_of(qs, filterset=None):
    """The places of the filtered incidents with their counts and newest incidents."""
    places = list(
        qs.order_by()
        .filter(location__latitude__isnull=False, location__longitude__isnull=False)
        .values_list("location_id", "location__name", "location__latitude", "location__longitude")
        .annotate(n=Count("pk"))
        .order_by("-n", "location__name")[:MAX_PLACES]
    )
    newest = {}
    ranked = (
        Incident.objects.filter(pk__in=qs.order_by().values("pk"))
        .filter(location_id__in=[p[0] for p in places])
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("location_id"),
                order_by=[F("date_start").desc(), F("ref").desc()],
            )
        )
        .filter(rank__lte=PER_PLACE)
        .order_by("location_id", "rank")
        .only("ref", "title", "date_start", "date_end", "date_precision", "location_id")
    )
    for incident in ranked:
        newest.setdefault(incident.location_id, []).append(_incident(incident))
    list_url = reverse("incidents:list")
    result = []
    for pk, name, lat, lon, count in places:
        query = (
            filterset.querystring(location=[name]) if filterset else urlencode({"location": name})
        )
        result.append(
            {
                "name": name,
                "lat": lat,
                "lon": lon,
                "count": count,
                "url": reverse("incidents:location_detail", args=[pk]),
                "list_url": f"{list_url}?{query}",
                "incidents": newest.get(pk, []),
            }
        )
    return result


def zones():
    """Places with a radius of their own (al-Tanf's 55 km deconfliction zone)."""
    rows = Location.objects.filter(
        radius_km__isnull=False, latitude__isnull=False, longitude__isnull=False
    )
    return [
        {
            "name": row.name,
            "lat": row.latitude,
            "lon": row.longitude,
            "radius_km": row.radius_km,
            "url": row.get_absolute_url(),
        }
        for row in rows.order_by("name")[:MAX_ZONES]
    ]


def map_payload(places, zone_list, focus=None):
    return {"tiles": tiles(), "places": places, "zones": zone_list, "focus": focus}


def focus_of(location):
    """The place a detail page is about, drawn apart from the others."""
    if location is None or location.latitude is None or location.longitude is None:
        return None
    return {"lat": location.latitude, "lon": location.longitude, "name": location.name}
