"""Bring newer seed fixtures into a database analysts have worked in, row by row.

It lists what would change (a field only the fixture changed is updated; a field an
analyst changed is kept; a row an analyst deleted stays deleted) and writes only once
confirmed, each change with a history row."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.seeds import apply_update, plan_update


class Command(BaseCommand):
    help = "Show what newer seed fixtures would change here, and apply it once confirmed."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show, write nothing")
        parser.add_argument("--yes", action="store_true", help="apply without asking")
        parser.add_argument(
            "--overwrite-edits",
            action="store_true",
            help="replace fields analysts changed with the fixture's values",
        )
        parser.add_argument(
            "--restore-deleted", action="store_true", help="load again the rows analysts deleted"
        )
        parser.add_argument("--user", help="the user the history records for these changes")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
        changes = plan_update(
            overwrite_edits=options["overwrite_edits"], restore_deleted=options["restore_deleted"]
        )
        writes = [change for change in changes if change.action == "create" or change.updates]
        for change in changes:
            self.stdout.write(change.describe())
        if not writes:
            self.stdout.write(
                "Nothing to bring in: the fixtures have not changed since they were loaded "
                "here (edits made here are kept as they are)."
            )
            return
        self.stdout.write(f"{len(writes)} row(s) would be written.")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        if not options["yes"]:
            try:
                answer = input("Apply these changes? Type 'yes' to continue: ")
            except EOFError as error:
                raise CommandError(
                    "Nothing written: no answer to confirm with (use --yes)."
                ) from error
            if answer.strip().lower() != "yes":
                self.stdout.write("Nothing was written.")
                return
        apply_update(changes, user=user)
        self.stdout.write(self.style.SUCCESS(f"{len(writes)} row(s) written, each with history."))
