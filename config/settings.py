"""Settings for the deconfliction incident database.

Everything that differs between a laptop and a server comes from the environment:
``DATABASE_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DEBUG``, ``TRUSTED_PROXIES``. Local
defaults are safe: ``DEBUG`` off, SQLite under ``var/`` (a folder only its owner can read),
a secret generated once into ``var/``. Serving with ``DEBUG`` off and no production values
stops with a message instead of running insecurely (``config/wsgi.py``).
"""

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import xstatic.pkg.leaflet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def private_dir(path):
    """A folder only its owner can enter: var/ holds the database, secrets and uploads."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def local_secret_key():
    """A key generated once into var/ and readable by its owner only, for local use."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        private_dir(VAR_DIR)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


# Off unless asked for: `make run` sets DEBUG=1 for the local site. A debug page shows
# settings and every URL pattern, which no one who deploys by hand should serve by accident.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Production is DEBUG off with a secret of its own. Without one, commands such as
# `manage.py import_incidents` still run from a checkout with no variables set, on the key
# generated into var/; only serving refuses (config/wsgi.py) until production values are set.
PRODUCTION = not DEBUG and bool(SECRET_KEY)
if not SECRET_KEY:
    SECRET_KEY = local_secret_key()

LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else LOCAL_HOSTS)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "concurrency",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # last, so that it sees a view's exception first: a lock that outlasts the wait is a 503
    "incidents.middleware.DatabaseBusyMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Repeated wrong passwords lock out that username *from that address*: an attacker's
# address cannot lock every analyst out by trying their names.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 0.25))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The proxies (addresses or networks) whose X-Forwarded-For is believed, e.g. the TLS proxy
# on 127.0.0.1. Behind one, every request comes from its address: without this the
# throttling above would lock a username out for everybody. A forwarded header from any
# other address is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or network."
        ) from error
AXES_CLIENT_IP_CALLABLE = "incidents.clientip.client_ip"

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# SQLite: WAL lets readers (an export streaming) run beside a writer; IMMEDIATE takes
# the write lock at BEGIN so a waiting writer honours the busy timeout instead of
# failing with "database is locked" when it upgrades a read transaction.
SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

# Read into DATABASES only: a setting named DATABASE_URL would hold the password where a
# debug page prints it (DATABASES' PASSWORD is masked by its name).
if os.environ.get("DATABASE_URL", "").strip():
    DATABASES = {
        "default": dj_database_url.parse(os.environ["DATABASE_URL"].strip(), conn_max_age=60)
    }
else:
    private_dir(VAR_DIR)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests run on a file, as users do: WAL and locking cannot be tried in memory.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Leaflet 1.9 from its XStatic package, served by this site as static/leaflet/.
STATICFILES_DIRS = [("leaflet", xstatic.pkg.leaflet.BASE_DIR)]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if not PRODUCTION:
    # whitenoise serves from finders locally but expects the collected folder to exist
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if not PRODUCTION:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- maps and the Content-Security-Policy ---------------------------------------------
# A tile server for the maps' base layer, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# or one on the analysts' own network. Empty (the default): no base map, the maps draw the
# incidents and zones on a plain background with a graticule, and make no request out.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "").strip()
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")


def tile_origin(url):
    """The origin the tiles come from, as CSP names it ({s} subdomains as a wildcard)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"MAP_TILE_URL must be an http(s) URL, not {url!r}.")
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


# Every page takes scripts, styles, images and data from this site only (the tile server
# aside, when one is set): no CDN, no web fonts, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"] + ([tile_origin(MAP_TILE_URL)] if MAP_TILE_URL else []),
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Where the seed documents live: beside the checkout, as CI and every developer have them.
SEEDS_DIR = Path(os.environ.get("SEEDS_DIR", BASE_DIR.parent / "shared" / "seeds"))

# django-import-export: one transaction per import; refuse to import what cannot be
# attributed to a user; no export or import without the explicit permissions.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", 20_000))
# Exports: CSV, JSON and GeoJSON stream without a row limit; an XLSX above this many rows is
# refused (a spreadsheet opens it whole), and so is an admin export of another table, which
# django-import-export builds in memory. One export per user runs at a time.
EXPORT_XLSX_MAX_ROWS = int(os.environ.get("EXPORT_XLSX_MAX_ROWS", 100_000))
EXPORT_ADMIN_MAX_ROWS = int(os.environ.get("EXPORT_ADMIN_MAX_ROWS", 50_000))
# An XLSX is a zip: a few hundred KB can unzip to gigabytes. Its parts' sizes are checked
# before a workbook reader opens it, by the admin and `import_incidents` alike.
IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024)
)
IMPORT_MAX_ZIP_RATIO = int(os.environ.get("IMPORT_MAX_ZIP_RATIO", 100))
# The admin holds a file whole and lists every row in its preview; `import_incidents`
# streams a file of any length and is not bound by this.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 10_000))
# Uploads waiting between the admin's preview and its confirm: a folder only the server's
# user can enter, files named by the server, removed on confirm, refusal or when stale.
IMPORT_TMP_DIR = VAR_DIR / "imports"
IMPORT_TMP_MAX_AGE = 24 * 60 * 60  # seconds
# Absolute links in exports (the `url` column) point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"

# Optimistic locking (django-concurrency): every save of a versioned row is an UPDATE that
# names the version it was read at, rows at version 0 (made by bulk writes) included.
CONCURRENCY_VERSION_FIELD_REQUIRED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
