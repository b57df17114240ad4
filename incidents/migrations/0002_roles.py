from django.contrib.auth.management import create_permissions
from django.db import migrations

# The groups as they were when this migration was written. A migration never imports app
# code: a permission added to incidents/roles.py later must not change what this one does
# (on a fresh database that permission does not exist yet). Later changes to the roles
# come in migrations of their own.
VIEW = [
    f"{action}_{model}"
    for action, models in (
        ("view", ["incident", "incidentactor", "incidentaircraft", "incidentsource"]),
        ("view", ["actor", "location", "aircraft", "source"]),
        ("export", ["incident", "actor", "location", "aircraft", "source"]),
        ("export", ["incidentaircraft", "incidentsource"]),
    )
    for model in models
]
EDIT = VIEW + [
    f"{action}_{model}"
    for model in [
        "incident",
        "incidentactor",
        "incidentaircraft",
        "incidentsource",
        "actor",
        "location",
        "aircraft",
        "source",
    ]
    for action in ("add", "change")
]
EDIT += ["delete_incidentactor", "delete_incidentaircraft", "delete_incidentsource"]
IMPORT = EDIT + [
    f"import_{model}"
    for model in [
        "incident",
        "actor",
        "location",
        "aircraft",
        "source",
        "incidentaircraft",
        "incidentsource",
    ]
]
GROUPS = {"Viewer": VIEW, "Editor": EDIT, "Importer": IMPORT}
ADMINISTRATOR_APPS = ["incidents", "auth", "admin", "axes"]


def ensure_groups(Group, Permission):  # noqa: N803 (historical models)
    for name, codenames in GROUPS.items():
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


def make_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    ensure_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Viewer", "Editor", "Importer", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(make_groups, remove_groups)]
