"""django-import-export in the admin, made safe enough for an analysts' database.

- Import needs the model's ``import_*`` permission *and* add and change; export needs
  ``export_*``. A view-only user reaches neither, through any URL.
- A file over ``IMPORT_MAX_BYTES`` is refused before it is read; one over
  ``IMPORT_MAX_ROWS`` rows as soon as reading passes the limit (``incidents.formats``).
- A file that cannot be read says why, in a sentence.
- Between preview and confirm the upload waits in ``IMPORT_TMP_DIR`` under a name the
  server drew, issued to the session that uploaded it: the confirm step reads only a name
  issued to its own session, once. The file is removed after the confirm, when the preview
  or the confirm refuses it, and when it is older than ``IMPORT_TMP_MAX_AGE``.
- The confirm step re-runs the checks; if anything is wrong nothing is written and the
  reasons are shown (the import is one transaction).
"""

import os
import re
import secrets
import stat
import time
from contextlib import suppress
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm, ImportForm
from import_export.tmp_storages import TempFolderStorage

from . import export_file, export_slots
from .formats import FORMATS
from .resources import ImportRefused, IncidentResource


class AdminRowLimit:
    """The admin holds a file whole and lists every row in its preview: rows are bounded."""

    @property
    def max_rows(self):
        return settings.IMPORT_MAX_ROWS


# The project's formats as the admin reads them; exports use FORMATS unbounded.
IMPORT_FORMATS = [type(f.__name__, (AdminRowLimit, f), {}) for f in FORMATS]

TOKEN = re.compile(r"[0-9a-f]{64}")


class PrivateImportStorage(TempFolderStorage):
    """An upload between preview and confirm, in ``IMPORT_TMP_DIR`` (mode 0700, files 0600)
    under a random name the server draws. A name that is not such a token is refused
    before a path is made of it; the folder holds nothing else this class reads or removes.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.name is not None and not TOKEN.fullmatch(self.name):
            raise SuspiciousFileOperation("An import file name is not a server-issued token.")

    @staticmethod
    def folder():
        folder = Path(settings.IMPORT_TMP_DIR)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(folder.stat().st_mode) != 0o700:  # made earlier, or under a umask
            folder.chmod(0o700)
        return folder

    def get_full_path(self):
        return str(self.folder() / self.name)

    def save(self, data):
        folder = self.folder()
        remove_stale_uploads(folder)
        self.name = secrets.token_hex(32)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(folder / self.name, flags, 0o600), "wb") as handle:
            handle.write(data)

    def remove(self):
        with suppress(FileNotFoundError):
            super().remove()


def remove_stale_uploads(folder):
    """Uploads never confirmed (a preview left open, a session ended) go after a day."""
    oldest = time.time() - settings.IMPORT_TMP_MAX_AGE
    with os.scandir(folder) as entries:
        for entry in entries:
            if (
                TOKEN.fullmatch(entry.name)
                and entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < oldest
            ):
                with suppress(FileNotFoundError):
                    os.remove(entry.path)


# The session remembers the uploads it may confirm: {name: [format, resource]} as the
# preview offered them, the latest few; an upload dropped from the list is removed.
ISSUED = "import_files"
ISSUED_KEPT = 10


def issue_upload(request, name, confirm_form):
    issued = dict(request.session.get(ISSUED, {}))
    issued[name] = [str(confirm_form.initial["format"]), str(confirm_form.initial["resource"])]
    while len(issued) > ISSUED_KEPT:
        oldest = next(iter(issued))
        del issued[oldest]
        PrivateImportStorage(name=oldest).remove()
    request.session[ISSUED] = issued


def take_upload(request, name):
    """The preview's [format, resource] for a name issued to this session, which can be
    confirmed once; None for any other name."""
    issued = dict(request.session.get(ISSUED, {}))
    if not TOKEN.fullmatch(name) or name not in issued:
        return None
    offered = issued.pop(name)
    request.session[ISSUED] = issued
    return offered


NOT_ISSUED = (
    "This import cannot be confirmed: its file was not uploaded in this session, or it was "
    "already imported. Upload the file again. Nothing was imported."
)
NOT_AS_PREVIEWED = (
    "This import cannot be confirmed: the confirm form names another format or table than "
    "the preview did. Upload the file again. Nothing was imported."
)


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
    import_formats = IMPORT_FORMATS
    import_form_class = SizeLimitedImportForm
    # Set here rather than by IMPORT_EXPORT_TMP_STORAGE_CLASS: the session binding below
    # relies on this storage's names and folder.
    tmp_storage_class = PrivateImportStorage
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

    def import_action(self, request, **kwargs):
        """The preview. An upload it offers to confirm is issued to this session; an upload
        it refuses is removed at once."""
        response = None
        try:
            response = super().import_action(request, **kwargs)
        finally:
            # ImportMixin writes the upload and notes its name on the uploaded file
            name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            if name is not None:
                context = getattr(response, "context_data", None) or {}
                if "confirm_form" in context:
                    issue_upload(request, name, context["confirm_form"])
                else:
                    PrivateImportStorage(name=name).remove()
        return response

    def process_import(self, request, **kwargs):
        """The confirm step: only an upload issued to this session, as it was previewed.

        Any other name is refused before a path is made of it, and its file, if there is
        one, is neither read nor removed. A missing or unreadable upload is a message,
        never a 500.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        name = request.POST.get("import_file_name", "")
        offered = take_upload(request, name)
        if offered is None:
            messages.error(request, NOT_ISSUED)
            return HttpResponseRedirect(self.import_url())
        try:
            if offered != [request.POST.get("format", ""), request.POST.get("resource", "")]:
                messages.error(request, NOT_AS_PREVIEWED)
                return HttpResponseRedirect(self.import_url())
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
        finally:
            PrivateImportStorage(name=name).remove()

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

    # --- export ------------------------------------------------------------------------
    # django-import-export builds an export whole in memory (a Dataset, then the file). The
    # incident admin streams instead, through the list export's code (incidents.exports):
    # the same columns, one chunk of rows at a time. The other tables are built as the
    # library builds them, up to EXPORT_ADMIN_MAX_ROWS rows. Either way one export per
    # user runs at a time.

    def streams_export(self):
        return any(issubclass(r, IncidentResource) for r in self.resource_classes)

    def get_export_form_class(self):
        # A streamed export writes every column, as the list's does: no fields to choose.
        return ExportForm if self.streams_export() else super().get_export_form_class()

    def export_action(self, request):
        try:
            response = super().export_action(request)
        except ImmediateResponse as immediate:
            return immediate.response
        response._csp_update = EXPORT_PAGE_CSP
        return response

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The library's hook for the file's bytes, which it then wraps in an in-memory
        response: a stream, or a second export refused (429), is raised past it as the
        answer itself. A ValueError is shown above the export form."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        if self.streams_export():
            raise ImmediateResponse(self.streamed_export(request, file_format, queryset))
        rows = queryset.count()
        limit = settings.EXPORT_ADMIN_MAX_ROWS
        if rows > limit:
            raise ValueError(
                f"{rows:,} rows are more than the admin exports at once ({limit:,}, "
                "EXPORT_ADMIN_MAX_ROWS), so nothing was exported: filter the list first. "
                "The incidents, with their actors, aircraft and sources, stream without "
                f"a limit from {export_file.export_url('csv')}."
            )
        slot = self.export_slot(request)
        try:
            return super().get_export_data(file_format, request, queryset, **kwargs)
        finally:
            slot.release()

    def export_slot(self, request):
        try:
            return export_slots.ExportSlot.take(request.user)
        except export_slots.ExportBusy as busy:
            raise ImmediateResponse(busy.response()) from None

    def streamed_export(self, request, file_format, queryset):
        content_type, writer = export_file.FORMATS[file_format.get_extension()]
        rows = queryset.count()
        if file_format.get_extension() == "xlsx":
            try:
                export_file.refuse_long_xlsx(rows, export_file.export_url("csv"))
            except export_file.ExportRefused as refusal:
                raise ValueError(str(refusal)) from None
        slot = self.export_slot(request)
        response = StreamingHttpResponse(
            export_slots.HeldStream(writer(queryset), slot), content_type=content_type
        )
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Export-Rows"] = str(rows)
        response["Cache-Control"] = "no-store"
        return response


class ImmediateResponse(Exception):
    """An answer raised from a hook whose return value the library would wrap otherwise."""

    def __init__(self, response):
        super().__init__(response)
        self.response = response
