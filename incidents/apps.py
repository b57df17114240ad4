import os
from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save, pre_save


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
    """A fixture row carries no version, and a raw save writes what it holds: a new row
    starts at 1, as a save through the ORM would; over a row already here (``loaddata``
    overwrites on purpose) it takes the row's current one, and the save is the next edit."""
    if not raw or not hasattr(sender, "_concurrencymeta"):
        return
    current = None
    if instance.pk is not None:
        current = (
            sender._base_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        )
    instance.version = current or 1


def fixture_rows_keep_history(sender, instance, created, raw=False, **kwargs):
    """django-simple-history records no raw save, so a row loaded from a fixture had no
    history: nothing to show who loaded it, and no version for an admin form to merge
    against. Each such save is recorded as any other."""
    history = getattr(sender, "history", None)
    if raw and history is not None and hasattr(history, "bulk_history_create"):
        history.bulk_history_create(
            [instance], update=not created, default_change_reason="Loaded from a fixture"
        )


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Deconfliction incidents"

    def ready(self):
        connection_created.connect(keep_database_private, dispatch_uid="keep_database_private")
        pre_save.connect(fixture_rows_take_the_current_version, dispatch_uid="fixture_versions")
        post_save.connect(fixture_rows_keep_history, dispatch_uid="fixture_history")
