from django.db import migrations

# Frozen here: the models that carried a version when this migration was written.
VERSIONED = [
    "Actor",
    "Location",
    "Aircraft",
    "Source",
    "Incident",
    "IncidentActor",
    "IncidentAircraft",
    "IncidentSource",
]


def start_at_one(apps, schema_editor):
    """Rows written raw (fixtures, bulk loads) before the version was counted from 1 held
    0, which the admin's forms could not tell from "no version"; their latest history rows
    likewise, so that a merge finds the version a form was opened on."""
    for name in VERSIONED:
        for model_name in (name, f"Historical{name}"):
            apps.get_model("incidents", model_name).objects.filter(version=0).update(version=1)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_link_rows_unordered")]

    operations = [migrations.RunPython(start_at_one, migrations.RunPython.noop)]
