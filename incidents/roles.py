"""The four roles, as permission codenames. Used by the data migration that makes the
groups and by ``add_analyst``; Django's permission system does the enforcing."""

REFERENCE_MODELS = ["actor", "location", "aircraft", "source"]
INCIDENT_MODELS = ["incident", "incidentactor", "incidentaircraft", "incidentsource"]
ALL_MODELS = INCIDENT_MODELS + REFERENCE_MODELS
EXPORTABLE = ["incident", "actor", "location", "aircraft", "source"]
EXPORTABLE += ["incidentaircraft", "incidentsource"]
IMPORTABLE = EXPORTABLE

VIEWER = [f"view_{m}" for m in ALL_MODELS] + [f"export_{m}" for m in EXPORTABLE]
EDITOR = VIEWER + [f"{action}_{m}" for m in ALL_MODELS for action in ("add", "change")]
# Removing a link row (an actor from an incident) is part of editing an incident.
EDITOR += [f"delete_{m}" for m in ["incidentactor", "incidentaircraft", "incidentsource"]]
IMPORTER = EDITOR + [f"import_{m}" for m in IMPORTABLE]

ROLES = {
    "viewer": "Viewer",
    "editor": "Editor",
    "importer": "Importer",
    "administrator": "Administrator",
}
GROUP_PERMISSIONS = {"Viewer": VIEWER, "Editor": EDITOR, "Importer": IMPORTER}
# Administrators hold every permission of these apps, deleting and users included.
ADMINISTRATOR_APPS = ["incidents", "auth", "admin", "axes"]


def ensure_groups(Group, Permission):  # noqa: N803 (the migration passes historical models)
    """Create or update the four groups with their permissions (which must exist)."""
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="incidents", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for group {name}: {sorted(missing)}")
        group.permissions.set(permissions)
    administrator, _ = Group.objects.get_or_create(name="Administrator")
    administrator.permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
    )
