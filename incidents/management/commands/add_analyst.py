"""Create or update an analyst in one role: viewer, editor, importer or administrator."""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents.roles import ROLES


class Command(BaseCommand):
    help = "Create or update USERNAME with exactly one role (its group)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )
        parser.add_argument("--email", default="")

    def read_password(self, options, user):
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        elif user.pk and not sys.stdin.isatty():
            return None  # an existing user, no terminal: keep the password
        elif not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password: use --password-stdin.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if not password:
            raise CommandError("The password is empty.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from error
        return password

    def handle(self, *args, **options):
        username, role = options["username"], options["role"]
        User = get_user_model()
        try:
            group = Group.objects.get(name=ROLES[role])
        except Group.DoesNotExist:
            raise CommandError(f"Group {ROLES[role]} is missing: run migrate first.") from None
        user = User.objects.filter(username=username).first() or User(username=username)
        created = user.pk is None
        password = self.read_password(options, user)
        with transaction.atomic():
            if password is not None:
                user.set_password(password)
            elif created:
                user.set_unusable_password()
            if options["email"]:
                user.email = options["email"]
            user.is_staff = True
            user.is_active = True
            user.save()
            user.groups.set([group])
        self.stdout.write(
            f"{'Created' if created else 'Updated'} {username} as {ROLES[role]}"
            + ("" if password is not None or not created else " (no password set yet)")
            + "."
        )
