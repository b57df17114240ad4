"""A small server-drawn locator map (SVG): no script, no tiles, works offline."""

import math

from django import template

from ..models import Location

register = template.Library()

WIDTH, HEIGHT, MARGIN = 320, 220, 12
KM_PER_DEGREE = 111.2
MAX_NEIGHBOURS = 25


@register.inclusion_tag("incidents/_locator.html")
def locator(place, km=None):
    """The place, its zone (``km`` or its own radius) and the named places around it."""
    km = km or place.radius_km
    half = max(0.6, (km or 0) * 1.4 / KM_PER_DEGREE)
    lat0, lon0 = place.latitude, place.longitude
    cos_lat = max(0.2, math.cos(math.radians(lat0)))
    half_lon = half / cos_lat * (WIDTH / HEIGHT)
    scale = (HEIGHT - 2 * MARGIN) / (2 * half)  # pixels per degree of latitude

    def xy(lat, lon):
        return (
            round(WIDTH / 2 + (lon - lon0) * cos_lat * scale, 1),
            round(HEIGHT / 2 - (lat - lat0) * scale, 1),
        )

    neighbours = (
        Location.objects.filter(
            latitude__range=(lat0 - half, lat0 + half),
            longitude__range=(lon0 - half_lon, lon0 + half_lon),
        )
        .exclude(pk=place.pk)
        .order_by("name")[:MAX_NEIGHBOURS]
    )
    step = 0.5 if half <= 1.5 else 1.0 if half <= 4 else 5.0
    lines = []
    lat = math.floor((lat0 - half) / step) * step
    while lat <= lat0 + half:
        y = xy(lat, lon0)[1]
        lines.append({"x1": 0, "y1": y, "x2": WIDTH, "y2": y, "label": f"{lat:g}°N"})
        lat += step
    lon = math.floor((lon0 - half_lon) / step) * step
    while lon <= lon0 + half_lon:
        x = xy(lat0, lon)[0]
        lines.append({"x1": x, "y1": 0, "x2": x, "y2": HEIGHT, "label": f"{lon:g}°E"})
        lon += step
    x, y = xy(lat0, lon0)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "place": place,
        "x": x,
        "y": y,
        "zone_r": round(km / KM_PER_DEGREE * scale, 1) if km else None,
        "km": km,
        "graticule": lines,
        "neighbours": [
            {"name": n.name, "url": n.get_absolute_url(), "xy": xy(n.latitude, n.longitude)}
            for n in neighbours
            if n.latitude is not None and n.longitude is not None
        ],
    }
