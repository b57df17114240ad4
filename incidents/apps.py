import os
from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import pre_save


def keep_database_private(sender, connection, **kwargs):
    """The SQLite file holds password hashes and session keys: its owner's only (0600),
    whatever the umask was when SQLite created it, its journal files included."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return
    for path in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")):
        try:
            if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except FileNotFoundError:
            continue


def fixture_rows_take_the_current_version(sender, instance, raw=False, **kwargs):
    """``loaddata`` over rows already here overwrites them on purpose: its rows carry no
    version, so each takes the row's current one and the save counts as the next edit."""
    if not raw or not hasattr(sender, "_concurrencymeta") or instance.pk is None:
        return
    current = sender._base_manager.filter(pk=instance.pk).values_list("version", flat=True)
    instance.version = current.first() or 0


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Deconfliction incidents"

    def ready(self):
        connection_created.connect(keep_database_private, dispatch_uid="keep_database_private")
        pre_save.connect(fixture_rows_take_the_current_version, dispatch_uid="fixture_versions")
