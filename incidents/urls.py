from django.urls import path, re_path

from . import views
from .export_file import FORMATS

app_name = "incidents"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("incidents/", views.IncidentListView.as_view(), name="list"),
    re_path(
        rf"^incidents/export\.(?P<file_format>{'|'.join(FORMATS)})$",
        views.export_incidents,
        name="export",
    ),
    re_path(
        r"^incidents/(?P<ref>[A-Z]{3}-\d{4}-\d{4})/$",
        views.IncidentDetailView.as_view(),
        name="detail",
    ),
    path("actors/", views.ActorListView.as_view(), name="actor_list"),
    path("actors/<int:pk>/", views.ActorDetailView.as_view(), name="actor_detail"),
    path("locations/", views.LocationListView.as_view(), name="location_list"),
    path("locations/<int:pk>/", views.LocationDetailView.as_view(), name="location_detail"),
    path("aircraft/", views.AircraftListView.as_view(), name="aircraft_list"),
    path("aircraft/<int:pk>/", views.AircraftDetailView.as_view(), name="aircraft_detail"),
]
