"""`make run` loads the seed fixtures without ever undoing an analyst's work, and newer
fixtures come in only through `update_seeds`, row by row, with confirmation."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents import seeds
from incidents.models import Actor, Incident, IncidentActor, IncidentSource, SeedRow

ROOT = Path(__file__).resolve().parent.parent


def load_seeds():
    out = io.StringIO()
    call_command("load_seeds", stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Incident, IncidentActor, IncidentSource, Actor)
    }


def test_make_run_loads_the_seeds_with_the_command_tested_here():
    makefile = (ROOT / "Makefile").read_text()
    fixtures_target = makefile.split("\nfixtures:")[1].split("\n\n")[0]
    assert "load_seeds" in fixtures_target
    assert "loaddata" not in fixtures_target


def test_loading_twice_around_an_edit_and_a_deletion_keeps_both(db):
    assert "loaded" in load_seeds()
    before = counts()
    edited = Incident.objects.get(ref="SYR-2023-0002")
    edited.title = "Corrected by an analyst"
    edited.save()
    deleted = Incident.objects.get(ref="SYR-2023-0003")
    deleted_links = deleted.incident_actors.count(), deleted.incident_sources.count()
    deleted.delete()

    said = load_seeds()

    assert Incident.objects.get(ref="SYR-2023-0002").title == "Corrected by an analyst"
    assert not Incident.objects.filter(ref="SYR-2023-0003").exists()
    after = counts()
    assert after["Incident"] == before["Incident"] - 1
    assert after["IncidentActor"] == before["IncidentActor"] - deleted_links[0]
    assert after["IncidentSource"] == before["IncidentSource"] - deleted_links[1]
    assert after["Actor"] == before["Actor"]
    assert "left as they are" in said


def test_a_deletion_without_history_stays_deleted_too(db):
    load_seeds()
    Incident.objects.filter(ref="SYR-2023-0003").delete()  # a queryset delete keeps no history
    load_seeds()
    assert not Incident.objects.filter(ref="SYR-2023-0003").exists()


def test_a_database_older_than_the_ledger_keeps_its_rows_and_deletions(load_seeds):
    # the seeds were loaded by loaddata (as `make run` did before), then worked on
    SeedRow.objects.all().delete()
    Incident.objects.filter(ref="SYR-2023-0002").update(title="Edited before the upgrade")
    Incident.objects.get(ref="SYR-2023-0003").delete()
    before = counts()

    call_command("load_seeds", stdout=io.StringIO())

    assert counts() == before
    assert Incident.objects.get(ref="SYR-2023-0002").title == "Edited before the upgrade"
    assert SeedRow.objects.filter(model="incidents.incident").count() == before["Incident"] + 1


@pytest.fixture
def newer_fixtures(db, tmp_path, monkeypatch):
    """A copy of the fixtures in which two fields of SYR-2023-0002 and one of -0003 changed."""
    paths = []
    for path in sorted((ROOT / "fixtures").glob("*.json")):
        rows = json.loads(path.read_text())
        for row in rows:
            if row["model"] == "incidents.incident" and row["fields"]["ref"] == "SYR-2023-0002":
                row["fields"]["summary"] = "A newer summary from the fixtures."
                row["fields"]["title"] = "A newer title from the fixtures"
            if row["model"] == "incidents.incident" and row["fields"]["ref"] == "SYR-2023-0003":
                row["fields"]["summary"] = "Changed in the fixtures."
        copy = tmp_path / path.name
        copy.write_text(json.dumps(rows))
        paths.append(copy)
    call_command("load_seeds", stdout=io.StringIO())  # the fixtures as they were
    monkeypatch.setattr(seeds, "fixture_paths", lambda: paths)
    return paths


def no_one_to_answer(prompt):
    raise EOFError  # what input() meets with no terminal, as in CI or cron


def update(*args):
    out = io.StringIO()
    call_command("update_seeds", *args, stdout=out)
    return out.getvalue()


def test_update_shows_each_change_and_writes_nothing_unconfirmed(newer_fixtures, monkeypatch):
    analyst = Incident.objects.get(ref="SYR-2023-0002")
    analyst.title = "The analyst's title"
    analyst.save()
    Incident.objects.get(ref="SYR-2023-0003").delete()
    before = Incident.objects.get(ref="SYR-2023-0002").summary

    shown = update("--dry-run")
    assert "SYR-2023-0002" in shown and "A newer summary from the fixtures." in shown
    assert 'kept "The analyst\'s title" (edited here)' in shown
    assert "deleted here; kept deleted" in shown
    assert Incident.objects.get(ref="SYR-2023-0002").summary == before
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert "Nothing was written" in update()
    monkeypatch.setattr("builtins.input", no_one_to_answer)
    with pytest.raises(CommandError, match="--yes"):
        update()
    assert Incident.objects.get(ref="SYR-2023-0002").summary == before


def test_update_applies_the_fixtures_changes_and_keeps_the_analysts(newer_fixtures):
    analyst = Incident.objects.get(ref="SYR-2023-0002")
    analyst.title = "The analyst's title"
    analyst.save()
    Incident.objects.get(ref="SYR-2023-0003").delete()

    update("--yes")

    updated = Incident.objects.get(ref="SYR-2023-0002")
    assert updated.summary == "A newer summary from the fixtures."
    assert updated.title == "The analyst's title"
    assert not Incident.objects.filter(ref="SYR-2023-0003").exists()
    newest = updated.history.latest()
    assert newest.history_change_reason == seeds.REASON
    assert newest.summary == "A newer summary from the fixtures."
    assert "Nothing to bring in" in update("--dry-run")


def test_update_can_be_told_to_overwrite_edits_and_restore_deletions(newer_fixtures):
    analyst = Incident.objects.get(ref="SYR-2023-0002")
    analyst.title = "The analyst's title"
    analyst.save()
    Incident.objects.get(ref="SYR-2023-0003").delete()

    update("--yes", "--overwrite-edits", "--restore-deleted")

    assert Incident.objects.get(ref="SYR-2023-0002").title == "A newer title from the fixtures"
    assert Incident.objects.get(ref="SYR-2023-0003").summary == "Changed in the fixtures."
