/* Maps of incidents with Leaflet (served from this site, never a CDN).
 *
 * Each element with data-map="ID" is drawn from the JSON in <script id="ID">: places
 * (one circle per place, sized by its number of incidents, with a popup listing the
 * newest), zones (circles of their radius) and, when MAP_TILE_URL is set, a tile layer.
 * Without tiles, or when they fail to load, the map says so and draws a graticule.
 *
 * Names are Editors' text: every label and popup is handed to Leaflet as a DOM node whose
 * text is set with textContent, never as a string, which Leaflet would set as innerHTML. */
(function () {
  "use strict";

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  // A tooltip's content as text: Leaflet puts a string content in as HTML.
  function label(text) {
    return el("span", text);
  }

  function popup(place) {
    var box = el("div", "", { "class": "map-popup" });
    var title = el("a", place.name, { href: place.url });
    box.appendChild(el("strong")).appendChild(title);
    box.appendChild(el("span", " — " + place.count + (place.count === 1 ? " incident" : " incidents") + " at this place"));
    var list = el("ul");
    place.incidents.forEach(function (incident) {
      var item = el("li");
      item.appendChild(el("a", incident.ref, { href: incident.url }));
      item.appendChild(document.createTextNode(" " + incident.date + " — " + incident.title));
      list.appendChild(item);
    });
    box.appendChild(list);
    box.appendChild(el("a", "List the incidents in " + place.name + " (places inside included)", {
      href: place.list_url, "class": "map-list-link"
    }));
    return box;
  }

  function graticule(map, bounds) {
    var south = Math.max(-85, Math.floor(bounds.getSouth()) - 10);
    var north = Math.min(85, Math.ceil(bounds.getNorth()) + 10);
    var west = Math.max(-180, Math.floor(bounds.getWest()) - 10);
    var east = Math.min(180, Math.ceil(bounds.getEast()) + 10);
    var layer = L.layerGroup();
    for (var lat = south; lat <= north; lat += 1) {
      L.polyline([[lat, west], [lat, east]], { className: "graticule", interactive: false }).addTo(layer);
    }
    for (var lon = west; lon <= east; lon += 1) {
      L.polyline([[south, lon], [north, lon]], { className: "graticule", interactive: false }).addTo(layer);
    }
    return layer.addTo(map);
  }

  function notice(map, text) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () { return el("div", text, { "class": "map-notice", role: "status" }); };
    control.addTo(map);
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-map"));
    if (!source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var map = L.map(container, { scrollWheelZoom: false, zoomSnap: 0.5 });
    var bounds = L.latLngBounds([]);
    var withoutBase = function (why) {
      if (container.getAttribute("data-base") === "none") return;
      container.setAttribute("data-base", "none");
      container.classList.add("map-plain");
      graticule(map, bounds.isValid() ? bounds : L.latLngBounds([[30, 33], [38, 44]]));
      notice(map, why);
    };

    data.zones.forEach(function (zone) {
      var circle = L.circle([zone.lat, zone.lon], {
        radius: zone.radius_km * 1000, className: "zone", interactive: true
      }).addTo(map);
      circle.bindTooltip(label(zone.name + ": " + zone.radius_km + " km zone"));
      bounds.extend(L.latLng(zone.lat, zone.lon).toBounds(zone.radius_km * 2000));
    });
    data.places.forEach(function (place) {
      var marker = L.circleMarker([place.lat, place.lon], {
        radius: Math.min(24, 5 + 2 * Math.sqrt(place.count)), className: "place"
      }).addTo(map);
      marker.bindPopup(popup(place));
      marker.bindTooltip(label(place.name + " (" + place.count + ")"));
      bounds.extend([place.lat, place.lon]);
    });
    if (data.focus) {
      L.circleMarker([data.focus.lat, data.focus.lon], { radius: 6, className: "focus" })
        .addTo(map).bindTooltip(label(data.focus.name));
      bounds.extend([data.focus.lat, data.focus.lon]);
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.15), { maxZoom: 9 });
    } else {
      map.setView([34.8, 39.0], 6);
    }
    container.setAttribute("data-places", String(data.places.length));

    if (data.tiles) {
      var layer = L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 18 });
      var failed = 0;
      layer.on("tileerror", function () {
        failed += 1;
        if (failed === 3) withoutBase("The base map could not be loaded: places and zones are shown on a plain background.");
      });
      layer.addTo(map);
    } else {
      withoutBase("No base map is loaded (no tile server configured): places and zones on a plain background.");
    }
    container.setAttribute("data-ready", "true");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-map]"), draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
