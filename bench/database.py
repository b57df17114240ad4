"""The databases the bench measures on, and the site served from them as `make serve` runs it.

A generated SQLite database is built once per size into the bench's folder and reused by
later runs; a PostgreSQL one is generated into the database DATABASE_URL names.
"""

import shutil
import time
import urllib.parse
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path

from bench.harness import BIN, Server, free_port, last_line, manage, production_env
from bench.peers import NOT_INSTALLED, installed

BENCH_USER = "bench"  # the superuser whose session the bench browses with


@dataclass
class Bench:
    """One run of the bench: its folder, runs per figure, and the servers' environment."""

    folder: Path
    runs: int
    env: dict
    without: frozenset = frozenset()  # optional peers left out on purpose
    skipped: dict = field(default_factory=dict)  # what was not measured, and why

    @classmethod
    def prepare(cls, folder, runs, environ, without=(), static_root=None):
        folder.mkdir(parents=True, exist_ok=True)
        static_root = Path(static_root or folder / "static")
        bench = cls(folder, runs, production_env(environ, folder, static_root), frozenset(without))
        bench.log.write_text("")
        collect_static(static_root, bench.env)
        return bench

    @property
    def log(self):
        return self.folder / "servers.log"

    def measures(self, command, name):
        """Whether the optional peer ``command`` (``name`` in the report) is measured; when
        it is not, the report says why."""
        if not installed(command):
            self.skip(name, NOT_INSTALLED)
        elif command in self.without:
            self.skip(name, "left out (--without)")
        else:
            return True
        return False

    def skip(self, what, reason):
        self.skipped[what] = reason
        print(f"  {what}: {reason}, skipped", flush=True)


@dataclass
class Database:
    env: dict  # the bench's environment with this database's DATABASE_URL
    cookies: dict  # a logged-in superuser's session
    path: Path | None = None  # the SQLite file, which the peers read directly
    build_s: float | None = None

    def copy(self, path):
        """This SQLite database copied to ``path``, the same session logged in there."""
        shutil.copyfile(self.path, path)
        return replace(self, env=self.env | {"DATABASE_URL": f"sqlite:///{path}"}, path=path)


def collect_static(static_root, env):
    """Static files collected as `make serve` collects them (production serves them through
    a manifest), unless ``static_root`` was collected from the very same files: the
    storage compresses every file on every collectstatic, which takes a while."""
    marker = static_root.with_name(f"{static_root.name}.collected")
    script = "from bench.project import print_static_fingerprint as p; p()"
    fingerprint = last_line(manage("shell", "-c", script, env=env))
    manifest = static_root / "staticfiles.json"
    if manifest.exists() and marker.exists() and marker.read_text() == fingerprint:
        return
    print(f"Collecting static files into {static_root} …", flush=True)
    manage("collectstatic", "--noinput", "-v0", env=env)
    marker.write_text(fingerprint)


def sqlite(bench, rows):
    """The generated database of ``rows`` incidents, built unless a finished one is there
    (which gets the migrations added since it was built)."""
    path = bench.folder / f"incidents-{rows}.sqlite3"
    env = bench.env | {"DATABASE_URL": f"sqlite:///{path}"}
    marker = path.with_suffix(".complete")
    if not marker.exists():
        for stale in bench.folder.glob(f"{path.name}*"):
            stale.unlink()
        print(f"Building {path} with {rows:,} generated incidents …", flush=True)
        started = time.perf_counter()
        manage("migrate", "--noinput", "-v0", env=env)
        manage("generate_incidents", "--count", str(rows), "--seed", "1", env=env)
        marker.write_text(f"{time.perf_counter() - started:.0f}")
    else:
        manage("migrate", "--noinput", "-v0", env=env)
    return Database(env, session(env), path, float(marker.read_text()))


def postgres(bench, url, rows):
    """The PostgreSQL database at ``url``, migrated and holding ``rows`` generated
    incidents (made once: generate_incidents refuses a second set)."""
    env = bench.env | {"DATABASE_URL": url}
    manage("migrate", "--noinput", "-v0", env=env)
    count = manage(
        "shell", "-c", "from bench.project import print_generated_count as p; p()", env=env
    )
    if int(last_line(count)) == 0:
        print(f"Generating {rows:,} incidents in PostgreSQL …", flush=True)
        manage("generate_incidents", "--count", str(rows), "--seed", "1", env=env)
    return Database(env, session(env))


def postgres_copy(bench, url, rows):
    """A fresh database ``<name>_load`` on the server at ``url``, made from the template
    ``<name>_load_base`` (generated once), so that every run writes the same new refs."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/')}_load"
    base = f"{name}_base"

    def named(database):
        return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))

    with psycopg.connect(url, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [base]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{base}"')
    postgres(bench, named(base), rows)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
    return postgres(bench, named(name), rows)


def session(env):
    """The cookies of a logged-in session of BENCH_USER in ``env``'s database."""
    key = manage("shell", "-c", "from bench.project import print_session_key as p; p()", env=env)
    return {"sessionid": last_line(key)}


def gunicorn(bench, database, workers=1):
    """The site on ``database``, served as `make serve` serves it (its settings, its
    gunicorn options) without the access log."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "900",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    if int(version("gunicorn").split(".")[0]) >= 27:
        # Its control socket is one path per user: the bench's servers would take it from
        # a `make serve` running as the same user, and from each other.
        command.append("--no-control-socket")
    return Server(command, database.env, port, bench.log)
