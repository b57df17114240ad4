"""django-import-export in the admin, made safe enough for an analysts' database.

- Import needs the model's ``import_*`` permission *and* add and change; export needs
  ``export_*``. A view-only user reaches neither, through any URL.
- A file over ``IMPORT_MAX_BYTES`` is refused before it is read.
- A file that cannot be read says why, in a sentence.
- The confirm step re-runs the checks; if anything is wrong nothing is written and the
  reasons are shown (the import is one transaction).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm

from .formats import FORMATS
from .resources import ImportRefused


class SizeLimitedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1048576:.1f} MiB; imports are limited to "
                f"{limit / 1048576:.1f} MiB (IMPORT_MAX_BYTES)."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


def describe_read_failure(error):
    if isinstance(error, ImportRefused):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return (
            "The file is not UTF-8 text. Save it as “CSV UTF-8”, or choose XLSX if it is a "
            "workbook."
        )
    return (
        f"The file could not be read in the chosen format ({type(error).__name__}). "
        "Check that the format matches the file: CSV, XLSX or JSON."
    )


# django-import-export's export page has two style attributes and one onchange handler;
# these hashes allow exactly those three, not inline code in general ('unsafe-inline').
EXPORT_PAGE_CSP = {
    "script-src": ["'unsafe-hashes'", "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],
    "style-src": [
        "'unsafe-hashes'",
        "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",
        "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",
    ],
}


class StrictImportExportMixin(ImportExportMixin):
    formats = FORMATS
    import_form_class = SizeLimitedImportForm
    import_error_display = ("message",)
    from_encoding = "utf-8-sig"

    def _has(self, request, *actions):
        opts = self.opts
        return request.user.is_active and request.user.has_perms(
            [f"{opts.app_label}.{get_permission_codename(action, opts)}" for action in actions]
        )

    def has_import_permission(self, request):
        return self._has(request, "import", "add", "change")

    def has_export_permission(self, request):
        return self._has(request, "export")

    def add_data_read_fail_error_to_form(self, form, error):
        form.add_error("import_file", describe_read_failure(error))

    def import_url(self):
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_import")

    def process_import(self, request, **kwargs):
        """The confirm step: a missing or unreadable upload is a message, never a 500."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            return super().process_import(request, **kwargs)
        except (OSError, ImportRefused, UnicodeDecodeError) as error:
            reason = (
                "The uploaded file is no longer available (it expired or was already "
                "imported); upload it again."
                if isinstance(error, OSError)
                else describe_read_failure(error)
            )
            messages.error(request, f"{reason} Nothing was imported.")
            return HttpResponseRedirect(self.import_url())

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            resource = self.get_import_resource_classes(request)[0]()
            for line, column, reason in resource.describe_errors(result)[:50]:
                where = " ".join(
                    part
                    for part in (
                        f"Line {line}" if line else "",
                        f"column “{column}”" if column else "",
                    )
                    if part
                )
                messages.error(request, f"{where}: {reason}" if where else reason)
            messages.error(request, "Nothing was imported: the file was refused as a whole.")
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)

    def export_action(self, request):
        response = super().export_action(request)
        response._csp_update = EXPORT_PAGE_CSP
        return response
