"""The incidents table as a file: ``IncidentResource``'s columns and row checks, its rows
exported from the streamed exports' rows and imported through the bulk loader.

``IncidentResource`` stays a plain Resource (columns, widgets, checks) that the exports and
the loader read; this subclass is where the admin and the commands meet both, so neither
module imports the other's user.
"""

import tablib
from import_export.results import RowResult

from .exports import EXPORT_COLUMNS, incident_rows
from .loader import IncidentLoader
from .resources import (
    LINK_RESOURCES,
    REFERENCE_RESOURCES,
    ImportRefused,
    IncidentResource,
)


class IncidentFileResource(IncidentResource):
    def export(self, queryset=None, **kwargs):
        """The admin export goes through the streamed exports' rows (one definition)."""
        if queryset is None:
            queryset = self.get_queryset()
        selected = kwargs.get("export_fields") or list(self.get_export_order())
        columns = [self.fields[name].column_name for name in selected]
        positions = [EXPORT_COLUMNS.index(column) for column in columns]
        dataset = tablib.Dataset(headers=columns)
        for chunk in incident_rows(queryset):
            for row in chunk:
                dataset.append([row[i] for i in positions])
        return dataset

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """The admin's preview and confirm go through the bulk loader, as the command does:
        the same checks per row (``import_instance``, ``validate_instance`` below), written
        a chunk at a time instead of a savepoint, a save and a history row per row."""
        problems = self.check_dataset(dataset)
        if problems:
            return self.refused(dataset, problems, raise_errors)
        result = self.new_result(dataset)
        result.add_dataset_headers(dataset.headers)

        def report(number, import_type, instance, row, error):
            if error is not None:
                result.append_invalid_row(number - 1, row, error)
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
                return
            row_result = self.get_row_result_class()()
            row_result.import_type = import_type
            row_result.add_instance_info(instance)
            row_result.instance = instance
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
            if self.progress is not None:
                self.progress()

        loader = IncidentLoader(
            user=kwargs.get("user"),
            change_reason=kwargs.get("change_reason") or "import",
            resource=self,
            report=report,
        )
        outcome = loader.load(dataset.headers, enumerate(dataset, start=2), dry_run=dry_run)
        if raise_errors and outcome.problems:
            raise ImportRefused("; ".join(reason for _, _, reason in outcome.problems[:10]))
        return result


#: Every table, in the order a whole database is imported, each file named after its key.
RESOURCES = {**REFERENCE_RESOURCES, "incidents": IncidentFileResource, **LINK_RESOURCES}
