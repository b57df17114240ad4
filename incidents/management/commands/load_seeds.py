"""Load the seed incidents into a database that has never had them: what `make run` does.

A seed row that is already here, or that was here once (an analyst deleted it), is left as
it is: restarting the site never undoes an analyst's work. ``update_seeds`` brings newer
fixtures into a database analysts have worked in."""

from django.core.management.base import BaseCommand

from incidents.seeds import load_missing


class Command(BaseCommand):
    help = "Load the seed fixtures' rows that this database has never had; change nothing else."

    def handle(self, *args, **options):
        outcome = load_missing()
        if outcome.loaded:
            self.stdout.write(f"Seed fixtures: {outcome.loaded} row(s) loaded.")
        if outcome.present:
            self.stdout.write(
                f"Seed fixtures: {outcome.present} row(s) already here, left as they are "
                "(`manage.py update_seeds` shows what newer fixtures would change)."
            )
        if outcome.kept_away:
            self.stdout.write(
                f"Seed fixtures: {outcome.kept_away} row(s) deleted here earlier, not loaded again."
            )
        if outcome.unresolved:
            self.stdout.write(
                f"Seed fixtures: {len(outcome.unresolved)} row(s) not loaded: they belong to "
                "rows deleted here (-v 2 lists them)."
            )
            if options["verbosity"] > 1:
                for problem in outcome.unresolved:
                    self.stdout.write(f"    {problem}")
