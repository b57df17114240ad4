"""Make sure the administrator account `admin` exists, without a default password.

The password is ``DJANGO_SUPERUSER_PASSWORD`` when set; otherwise one is generated on
the first run, printed once and kept in ``var/admin-password`` (owner-readable only).
Once any superuser exists the command does nothing: an administrator renamed, or removed
in favour of another, is not brought back by the next `make run`.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create the administrator account 'admin' if the database has no superuser yet."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; accounts left as they are.")
            return
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(15)
        else:
            try:
                validate_password(password, User(username=USERNAME))
            except ValidationError as error:
                raise CommandError(
                    "DJANGO_SUPERUSER_PASSWORD is too weak: " + " ".join(error.messages)
                ) from error
        User.objects.create_superuser(USERNAME, email="", password=password)
        if not generated:
            self.stdout.write(f"Administrator '{USERNAME}' created with DJANGO_SUPERUSER_PASSWORD.")
            return
        path = Path(settings.VAR_DIR) / "admin-password"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        os.chmod(path, 0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator '{USERNAME}' created. Password (shown once, also in {path}):\n"
                f"    {password}"
            )
        )
