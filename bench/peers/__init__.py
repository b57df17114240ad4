"""The peers measured beside the site in the same run: Datasette, the standard library's
sqlite3 + csv loop, django-import-export's defaults. Datasette (and locust, which puts the
load on) come with the bench extra; without them their figures are skipped, not failed."""

from bench.harness import BIN

NOT_INSTALLED = "not installed (pip install -e '.[bench]')"


def installed(command):
    """Whether an optional peer's command is in this virtual environment."""
    return (BIN / command).exists()
