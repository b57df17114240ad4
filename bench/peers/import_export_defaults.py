"""django-import-export's defaults importing the bench's CSV: a ModelResource of the
incident, as its documentation starts one, for the import comparison.

Run inside the project's Django by the imports section:
`manage.py shell -c "from bench.peers.import_export_defaults import main; main(PATH)"`.
"""

import time

import tablib
from import_export import fields, resources, widgets

from bench.importfile import ACTOR_COLUMNS, IMPORT_COLUMNS
from incidents.models import Incident, Location


class DefaultIncidentResource(resources.ModelResource):
    # The defaults, except that the place is named, as the file names it.
    location = fields.Field(
        attribute="location",
        column_name="location",
        widget=widgets.ForeignKeyWidget(Location, "name"),
    )

    class Meta:
        model = Incident
        import_id_fields = ["ref"]
        fields = tuple(column for column in IMPORT_COLUMNS if column not in ACTOR_COLUMNS)


def main(path):
    """Import the file at ``path`` and print its rows per second (reading it excluded)."""
    with open(path, encoding="utf-8") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv")
    started = time.perf_counter()
    result = DefaultIncidentResource().import_data(dataset, dry_run=False)
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit(f"django-import-export refused the file: {result.totals}")
    print(len(dataset) / (time.perf_counter() - started))
