"""One writer process for the durability tests, writing as the site's requests do.

    python tests/writer.py NUMBER SECONDS LOG [STOP_FILE]

Until SECONDS have passed, or STOP_FILE exists, it creates incidents and edits its own
earlier ones through the ORM (history rows and all), each in its own transaction. After
each commit it appends a line to LOG: "create REF", or "edit REF TITLE"; an error that
reached it is logged as "error ..." and the write retried. The database is DATABASE_URL's,
as for the site.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402

from django.db import DatabaseError, transaction  # noqa: E402

from incidents.models import Incident  # noqa: E402


def prefix(number):
    return "W" + chr(65 + number // 26 % 26) + chr(65 + number % 26)


def main(number, seconds, log_path, stop_file=None):
    rng = random.Random(number)
    mine, serial = [], 0
    deadline = time.monotonic() + seconds
    stop = Path(stop_file) if stop_file else None
    with open(log_path, "a", buffering=1) as log:
        while time.monotonic() < deadline and not (stop and stop.exists()):
            edit = mine and rng.random() < 0.4
            try:
                with transaction.atomic():
                    if edit:
                        ref = rng.choice(mine)
                        incident = Incident.objects.get(ref=ref)
                        incident.title = f"Edited by writer {number} at {time.time():.6f}"
                        incident.save()
                    else:
                        serial += 1
                        ref = f"{prefix(number)}-{2000 + serial // 9999}-{serial % 9999 + 1:04d}"
                        Incident.objects.create(
                            ref=ref,
                            title=f"Written by writer {number}",
                            incident_type="air_intercept",
                            domain="air",
                            date_start=datetime.date(2024, 1, 1 + serial % 28),
                            date_end=datetime.date(2024, 1, 1 + serial % 28),
                        )
            except DatabaseError as error:
                log.write(f"error {type(error).__name__}: {error}\n")
                if not edit:
                    serial -= 1
                continue
            if edit:
                log.write(f"edit {ref} {incident.title}\n")
            else:
                mine.append(ref)
                log.write(f"create {ref}\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
