"""What the bench asks of the project's own Django, run inside it by `manage.py shell -c`
(bench.database calls these; they print their answer for the harness to read)."""

import hashlib
import os
from importlib.metadata import version

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles import finders

from bench.database import BENCH_USER
from incidents.models import Incident


def print_session_key():
    """A logged-in session of the superuser "bench" (made without a password, once)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = user_model.objects.create_superuser(BENCH_USER, None, None)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    print(session.session_key)


def print_generated_count():
    """How many generated incidents (refs starting with G) the database holds."""
    print(Incident.objects.filter(ref__startswith="G").count())


def print_static_fingerprint():
    """A digest of what collectstatic reads: every file the finders list (path, size, time,
    with collectstatic's default ignore patterns), the storage and its packages' versions.
    A folder collected from the same digest needs no collecting again."""
    storage = settings.STORAGES["staticfiles"]["BACKEND"]
    entries = [f"{storage} django {version('django')} whitenoise {version('whitenoise')}"]
    for finder in finders.get_finders():
        for path, source in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(source.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    print(hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest())
